package io.flock.actors.coordinator;

import io.flock.actors.job.TrainingJob;
import io.flock.actors.checkpoint.Checkpoint;
import io.flock.actors.checkpoint.CheckpointStore;
import io.flock.tensor.data.DatasetCache;
import io.flock.tensor.data.Dataset;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A job's starting state: fresh parameters, or those of its newest valid checkpoint
 * ({@code restored} non-null when one was looked for). Loaded off the actor thread.
 */
record JobStart(Dataset train, INDArray params, INDArray optimizerState, long version, CheckpointStore.Found restored) {

    /** Loads the dataset, builds the model and finds the checkpoint to resume from ({@code resume}). */
    static JobStart load(TrainingJob job, boolean resume, DatasetCache datasets, CheckpointStore checkpoints) {
        Dataset train = datasets.train(job.dataset());
        if (train.inputs() != job.model().inputs() || train.classes() != job.model().classes()) {
            throw new IllegalArgumentException("dataset " + train.name() + " has " + train.inputs() + " inputs and "
                    + train.classes() + " classes but the model expects " + job.model().inputs() + " and "
                    + job.model().classes());
        }
        CheckpointStore.Found found = resume ? checkpoints.latestValid(job.jobId()) : null;
        if (found == null || found.checkpoint() == null) {
            INDArray params = job.model().build().initialParams();
            INDArray state = Nd4j.zeros(DataType.FLOAT, Math.max(1, job.optimizer().stateRows()), params.length());
            return new JobStart(train, params, state, 0, found);
        }
        Checkpoint c = found.checkpoint();
        if (!c.job().model().equals(job.model()) || !c.job().optimizer().equals(job.optimizer())) {
            throw new IllegalArgumentException("checkpoint " + found.file() + " was written for model " + c.job().model()
                    + " with " + c.job().optimizer() + ", not " + job.model() + " with " + job.optimizer());
        }
        return new JobStart(train, c.params(), c.optimizerState(), c.version(), found);
    }
}
