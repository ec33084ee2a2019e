package io.flock.actors.bench;

import io.flock.actors.dataplane.CollectiveSession;
import io.flock.actors.dataplane.CollectiveSpec;
import io.flock.actors.dataplane.DataPlaneEndpoint;
import io.flock.actors.dataplane.DataPlaneSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One process's data-plane endpoint for {@code flock bench allreduce}: ring or tree all-reduce
 * among bench processes, without a cluster, timed around back-to-back collectives. Settings are
 * the {@code flock.data-plane} defaults but for the frame size and socket buffers measured.
 */
public final class CollectiveBench implements AutoCloseable {

    /** Seconds for all iterations, and bytes this rank sent in one collective. */
    public record Timing(double seconds, long bytesSent) {}

    private final DataPlaneEndpoint endpoint;

    private CollectiveBench(DataPlaneEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * Opens an endpoint on {@code host} (any free port) that cuts vectors into frames of at most
     * {@code chunk} values, with {@code socketBuffer} bytes of socket buffers (0 = the OS default).
     */
    public static CollectiveBench start(String host, int chunk, int socketBuffer) throws IOException {
        DataPlaneSettings d = DataPlaneSettings.DEFAULTS;
        long maxFrame = Math.max(d.maxFrame(), (long) chunk * Float.BYTES + 1024);
        return new CollectiveBench(DataPlaneEndpoint.start(host, new DataPlaneSettings(0, chunk, d.connectTimeout(),
                maxFrame, Math.max(d.maxBuffered(), maxFrame), socketBuffer)));
    }

    /** The data plane's default frame size in values ({@code flock.data-plane.chunk-size}). */
    public static int defaultChunkSize() {
        return DataPlaneSettings.DEFAULTS.chunkSize();
    }

    /** The chunk size a job's collective of {@code floats} values uses with the default settings. */
    public static int chunkSizeFor(long floats) {
        return DataPlaneSettings.DEFAULTS.chunkSizeFor(floats);
    }

    public int port() {
        return endpoint.address().getPort();
    }

    /**
     * Runs {@code iterations} collectives (steps 0..) of job {@code jobId} back to back, this
     * process being {@code rank} among {@code members}: it contributes {@code mine} as micro-batches
     * {@code firstMicroBatch}.. of {@code microBatches}; the mean is written into {@code into}
     * (reused) or a new vector per collective when it is null.
     *
     * @param tree tree reduce; false = ring all-reduce
     */
    public Timing allReduce(boolean tree, String jobId, int rank, List<InetSocketAddress> members, long length,
            int microBatches, int chunk, int iterations, int firstMicroBatch, List<INDArray> mine, INDArray into)
            throws Exception {
        CollectiveSpec.Kind kind = tree ? CollectiveSpec.Kind.TREE : CollectiveSpec.Kind.RING;
        long bytes = 0;
        long start = System.nanoTime();
        for (int it = 0; it < iterations; it++) {
            CollectiveSession s = endpoint.open(new CollectiveSpec(jobId, 0, it, kind, members, rank, length, microBatches,
                    chunk), into);
            for (int i = 0; i < mine.size(); i++) s.contribute(firstMicroBatch + i, mine.get(i));
            s.result().get(120, TimeUnit.SECONDS);
            bytes = s.bytesSent();
        }
        return new Timing((System.nanoTime() - start) / 1e9, bytes);
    }

    @Override
    public void close() {
        endpoint.close();
    }
}
