package io.flock.strategies;

import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.GradientResult;
import io.flock.tensor.model.Model;
import io.flock.tensor.optim.OptimizerSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fault-free single-process training loop that defines Flock's BSP trajectory: per step,
 * the gradients of micro-batches 0..M-1 at the current parameters, summed in that order,
 * divided by M, applied by the optimizer to the whole vector. Distributed BSP runs must end
 * within floating-point tolerance of it; benchmarks use it as the "plain ND4J loop" baseline.
 */
public final class ReferenceLoop {

    private final Model model;
    private final Dataset data;
    private final BatchPlan plan;
    private final BatchPlan.Sampler sampler;
    private final OptimizerSpec optimizer;
    private final INDArray params;
    private final INDArray state;
    private long step;
    private double lastLoss = Double.NaN;

    public ReferenceLoop(Model model, Dataset data, BatchPlan plan, OptimizerSpec optimizer) {
        this.model = model;
        this.data = data;
        this.plan = plan;
        this.sampler = plan.sampler();
        this.optimizer = optimizer;
        this.params = model.initialParams();
        this.state = Nd4j.zeros(DataType.FLOAT, Math.max(1, optimizer.stateRows()), params.length());
    }

    /** Runs {@code steps} more steps and returns the parameters (live; copy to keep). */
    public INDArray run(long steps) {
        for (long i = 0; i < steps; i++) step();
        return params;
    }

    /** Runs one step; returns its mean micro-batch loss. */
    public double step() {
        INDArray sum = null;
        double lossSum = 0;
        for (int m = 0; m < plan.microBatches(); m++) {
            GradientResult g = model.gradient(params, data.batch(sampler.indices(step, m)));
            lossSum += g.loss();
            if (sum == null) sum = g.gradient();
            else sum.addi(g.gradient());
        }
        sum.divi(plan.microBatches());
        optimizer.apply(params, sum, state, step);
        step++;
        lastLoss = lossSum / plan.microBatches();
        return lastLoss;
    }

    public long stepsDone() {
        return step;
    }

    public double lastLoss() {
        return lastLoss;
    }

    public INDArray params() {
        return params;
    }
}
