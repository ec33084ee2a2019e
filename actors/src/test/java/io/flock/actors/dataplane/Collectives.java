package io.flock.actors.dataplane;

import io.flock.strategies.MicroBatchBlocks;
import io.flock.strategies.RingAllReduce;
import io.flock.strategies.TreeReduce;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Test helpers: endpoints on 127.0.0.1, specs, gradients, the pure state machines run in memory. */
final class Collectives implements AutoCloseable {

    static final DataPlaneSettings SMALL = new DataPlaneSettings(0, 64, Duration.ofSeconds(5), 64 * 1024, 1 << 20, 0);

    final List<DataPlaneEndpoint> endpoints = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    Collectives(int n, DataPlaneSettings settings) {
        try {
            for (int i = 0; i < n; i++) endpoints.add(DataPlaneEndpoint.start("127.0.0.1", settings));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    List<InetSocketAddress> members() {
        return endpoints.stream().map(DataPlaneEndpoint::address).toList();
    }

    CollectiveSpec spec(String job, long epoch, long step, CollectiveSpec.Kind kind, int rank, long length, int m, int chunk) {
        return new CollectiveSpec(job, epoch, step, kind, members(), rank, length, m, chunk);
    }

    /** Opens every rank's session and contributes each micro-batch from a pool thread, in a seeded random order. */
    List<CollectiveSession> run(String job, long epoch, long step, CollectiveSpec.Kind kind, List<INDArray> grads, int chunk,
            long seed) {
        int n = endpoints.size();
        List<CollectiveSession> sessions = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            sessions.add(endpoints.get(r).open(spec(job, epoch, step, kind, r, grads.get(0).length(), grads.size(), chunk)));
        }
        contribute(sessions, grads, seed);
        return sessions;
    }

    void contribute(List<CollectiveSession> sessions, List<INDArray> grads, long seed) {
        MicroBatchBlocks blocks = new MicroBatchBlocks(sessions.size(), grads.size());
        List<Integer> order = new ArrayList<>();
        for (int m = 0; m < grads.size(); m++) order.add(m);
        Collections.shuffle(order, new Random(seed));
        for (int m : order) pool.execute(() -> sessions.get(blocks.holder(m)).contribute(m, grads.get(m)));
    }

    static INDArray await(CollectiveSession s) throws Exception {
        return s.result().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        endpoints.forEach(DataPlaneEndpoint::close);
    }

    /** Gradients whose values span 7 orders of magnitude, so that any other summation order shows in the last bits. */
    static List<INDArray> gradients(int count, int length, long seed) {
        Random r = new Random(seed);
        List<INDArray> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] v = new float[length];
            for (int j = 0; j < length; j++) v[j] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
            out.add(Nd4j.createFromArray(v).castTo(DataType.FLOAT));
        }
        return out;
    }

    /** The parameter server's mean: (g_0 + … + g_{M-1}) / M, left to right. */
    static float[] leftFold(List<INDArray> grads) {
        INDArray sum = grads.get(0).dup();
        for (int m = 1; m < grads.size(); m++) sum.addi(grads.get(m));
        return sum.divi(grads.size()).toFloatVector();
    }

    /** Each rank's result of the pure {@link RingAllReduce}, driven in memory with FIFO links. */
    static List<float[]> pureRing(int n, int chunk, List<INDArray> grads) {
        int length = (int) grads.get(0).length();
        MicroBatchBlocks blocks = new MicroBatchBlocks(n, grads.size());
        List<RingAllReduce> ring = new ArrayList<>();
        List<Deque<RingAllReduce.Chunk>> inbox = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ring.add(new RingAllReduce(n, r, length, chunk, grads.size(), 0));
            inbox.add(new ArrayDeque<>());
        }
        for (int m = 0; m < grads.size(); m++) {
            int r = blocks.holder(m);
            inbox.get((r + 1) % n).addAll(ring.get(r).contribute(m, grads.get(m).dup()));
        }
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int r = 0; r < n; r++) {
                while (!inbox.get(r).isEmpty()) {
                    inbox.get((r + 1) % n).addAll(ring.get(r).receive(inbox.get(r).poll()));
                    moved = true;
                }
            }
        }
        return ring.stream().map(m -> m.result().toFloatVector()).toList();
    }

    /** Each rank's result of the pure {@link TreeReduce}, driven in memory. */
    static List<float[]> pureTree(int n, List<INDArray> grads) {
        int length = (int) grads.get(0).length();
        MicroBatchBlocks blocks = new MicroBatchBlocks(n, grads.size());
        List<TreeReduce> tree = new ArrayList<>();
        for (int r = 0; r < n; r++) tree.add(new TreeReduce(n, r, length, grads.size(), 0));
        Deque<TreeReduce.Send> inFlight = new ArrayDeque<>();
        for (int m = 0; m < grads.size(); m++) inFlight.addAll(tree.get(blocks.holder(m)).contribute(m, grads.get(m).dup()));
        while (!inFlight.isEmpty()) {
            TreeReduce.Send s = inFlight.poll();
            inFlight.addAll(tree.get(s.to()).receive(s.message()));
        }
        return tree.stream().map(m -> m.result().toFloatVector()).toList();
    }

    /** Polls {@code condition} until it holds; fails after {@code timeout}. */
    static void awaitCondition(String what, Duration timeout, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new TimeoutException(what);
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
    }
}
