package io.flock.actors;

import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.strategies.ReferenceLoop;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The job the cluster tests train, and its single-process reference trajectory. */
final class TestJobs {

    static final ModelSpec MODEL = ModelSpec.Mlp.fashionMnist(7);
    static final DatasetSpec DATA = DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11);
    static final OptimizerSpec OPTIMIZER = OptimizerSpec.Adam.of(1e-3);
    static final int BATCH = 60;
    static final int MICRO_BATCHES = 6;
    static final long SEED = 3;

    private static final Map<Long, ReferenceRun> REFERENCES = new ConcurrentHashMap<>();

    /** Parameters and per-step losses of the fault-free single-process run. */
    record ReferenceRun(INDArray params, double firstLoss, double lastLoss) {}

    private TestJobs() {}

    static TrainingJob job(String id, long steps, int minWorkers, int maxWorkers, int shards) {
        return job(id, steps, minWorkers, maxWorkers, shards, io.flock.strategies.Strategy.PS_BSP);
    }

    static TrainingJob job(String id, long steps, int minWorkers, int maxWorkers, int shards,
            io.flock.strategies.Strategy strategy) {
        return TrainingJob.builder().jobId(id)
                .model(MODEL).dataset(DATA).optimizer(OPTIMIZER)
                .globalBatch(BATCH).microBatches(MICRO_BATCHES).steps(steps).seed(SEED)
                .shards(shards).workers(minWorkers, maxWorkers).strategy(strategy)
                .build();
    }

    /**
     * The same job under ps-ssp (bound {@code staleness}) or ps-asp. Adam's rate is M times smaller:
     * the shards apply each micro-batch gradient on arrival, and each arrival is a full Adam step.
     */
    static TrainingJob staleJob(String id, Strategy strategy, int staleness, long steps, int minWorkers,
            int maxWorkers, int shards) {
        return job(id, steps, minWorkers, maxWorkers, shards).toBuilder()
                .optimizer(OptimizerSpec.Adam.of(1e-3 / MICRO_BATCHES))
                .strategy(strategy).staleness(staleness)
                .build();
    }

    /** Mean loss of the first and of the last {@code n} reported steps. */
    static double[] firstAndLastLoss(List<TrainingEvent> events, int n) {
        List<TrainingEvent.StepCompleted> steps = eventsOf(events, TrainingEvent.StepCompleted.class);
        double first = steps.subList(0, n).stream().mapToDouble(TrainingEvent.StepCompleted::loss).average().orElseThrow();
        double last = steps.subList(steps.size() - n, steps.size()).stream()
                .mapToDouble(TrainingEvent.StepCompleted::loss).average().orElseThrow();
        return new double[] {first, last};
    }

    static ReferenceRun reference(long steps) {
        return REFERENCES.computeIfAbsent(steps, n -> {
            Dataset train = DATA.loadTrain();
            ReferenceLoop loop = new ReferenceLoop(MODEL.build(), train,
                    new BatchPlan(SEED, train.size(), BATCH, MICRO_BATCHES), OPTIMIZER);
            double first = loop.step();
            loop.run(n - 1);
            return new ReferenceRun(loop.params().dup(), first, loop.lastLoss());
        });
    }

    static double relativeL2(INDArray actual, INDArray expected) {
        return actual.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
    }

    /**
     * Submits {@code job} through node {@code via}, records every event into {@code events} and
     * returns once step {@code step} has completed (so a fault can be injected mid-run).
     */
    static io.flock.actors.api.JobHandle submitUntil(io.flock.actors.api.LocalCluster cluster, int via, TrainingJob job,
            long step, List<TrainingEvent> events) throws Exception {
        var reached = new java.util.concurrent.CompletableFuture<Void>();
        var handle = cluster.node(via).submit(job, e -> {
            events.add(e);
            if (e instanceof TrainingEvent.StepCompleted s && s.step() >= step) reached.complete(null);
        });
        reached.get(120, java.util.concurrent.TimeUnit.SECONDS);
        return handle;
    }

    /** The job's result within 120 s, or an error showing the last events (where it got stuck). */
    static io.flock.actors.job.TrainingResult await(io.flock.actors.api.JobHandle handle, List<TrainingEvent> events)
            throws Exception {
        try {
            return handle.result().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("job did not complete in 120 s; last events: "
                    + events.subList(Math.max(0, events.size() - 4), events.size()), e);
        }
    }

    /**
     * The run ended on the fault-free trajectory (relative L2 ≤ 1e-5) and reported steps
     * {@code from}..steps-1 once each, in order.
     */
    static void assertOnReferenceTrajectory(io.flock.actors.job.TrainingResult result, List<TrainingEvent> events,
            long from, long steps) {
        double rel = relativeL2(result.params(), reference(steps).params());
        org.junit.jupiter.api.Assertions.assertTrue(rel <= 1e-5, "relative L2 to the fault-free reference: " + rel);
        List<TrainingEvent.StepCompleted> done = eventsOf(events, TrainingEvent.StepCompleted.class);
        org.junit.jupiter.api.Assertions.assertEquals(steps - from, done.size(), "every step reported once");
        for (int i = 0; i < done.size(); i++) {
            org.junit.jupiter.api.Assertions.assertEquals(from + i, done.get(i).step(), "steps in order");
        }
    }

    /** The worker actor on node {@code i}, found through that node's receptionist. */
    static org.apache.pekko.actor.typed.ActorRef<io.flock.actors.worker.Worker.Command> workerOn(
            io.flock.actors.api.LocalCluster cluster, int i) throws Exception {
        var system = cluster.node(i).system();
        var key = io.flock.actors.worker.Worker.SERVICE_KEY;
        var target = cluster.node(i).address();
        // Registration is local and quick, but asynchronous: ask until it shows (within 30 s).
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        for (boolean first = true; System.nanoTime() < deadline; first = false) {
            if (!first) java.util.concurrent.TimeUnit.MILLISECONDS.sleep(50);
            var listing = org.apache.pekko.actor.typed.javadsl.AskPattern.<org.apache.pekko.actor.typed.receptionist
                            .Receptionist.Command, org.apache.pekko.actor.typed.receptionist.Receptionist.Listing>ask(
                    system.receptionist(), reply -> org.apache.pekko.actor.typed.receptionist.Receptionist.find(key, reply),
                    java.time.Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().get(10,
                            java.util.concurrent.TimeUnit.SECONDS);
            for (var w : listing.getServiceInstances(key)) {
                if (w.path().address().hasLocalScope() || w.path().address().equals(target)) return w;
            }
        }
        throw new AssertionError("no worker of node " + target + " in the receptionist");
    }

    /**
     * A 60-step test job can take under a second (OpenBLAS pinned to one thread, ring on the data
     * plane): too short for a node to join or be noticed gone mid-run. A per-step delay on every
     * worker paces it, so the fault lands while the job trains.
     */
    static void pace(io.flock.actors.api.LocalCluster cluster) throws Exception {
        for (int i = 0; i < cluster.nodes().size(); i++) {
            workerOn(cluster, i).tell(new io.flock.actors.worker.Worker.SetStepDelay(java.time.Duration.ofMillis(150)));
        }
    }

    /**
     * Holds a paced job where it is: every worker waits a minute before each further step, so a
     * test can stop the cluster before the job's end without racing it.
     */
    static void hold(io.flock.actors.api.LocalCluster cluster) throws Exception {
        for (var node : cluster.nodes()) {
            node.setStepDelay(java.time.Duration.ofMinutes(1)).toCompletableFuture().get(10,
                    java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    static <T extends TrainingEvent> List<T> eventsOf(List<TrainingEvent> events, Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
