package io.flock.actors.dataplane;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's bulk-tensor data plane, as a typed Pekko extension (one per ActorSystem):
 * {@code DataPlane.get(system)}. Ring and tree all-reduce move gradients over dedicated TCP
 * connections between nodes; actors stay the control plane (who is in the collective, which
 * epoch and step). The endpoint listens on the node's Artery canonical hostname (bound on
 * {@code pekko.remote.artery.bind.hostname} when set), port {@code flock.data-plane.port}, and
 * closes when the ActorSystem terminates. The work is done by {@link DataPlaneEndpoint}, which
 * needs no Pekko. Not covered by Artery's TLS: docs/data-plane.md.
 */
public final class DataPlane implements Extension {

    private static final Id ID = new Id();

    private final DataPlaneEndpoint endpoint;

    private DataPlane(ActorSystem<?> system) {
        Config config = system.settings().config();
        DataPlaneSettings settings = DataPlaneSettings.fromConfig(config);
        String advertised = host(config.getString("pekko.remote.artery.canonical.hostname"));
        String bind = config.getString("pekko.remote.artery.bind.hostname");
        try {
            endpoint = DataPlaneEndpoint.start(bind.isEmpty() ? advertised : host(bind), advertised, settings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the data plane on " + advertised + ":" + settings.port()
                    + " (flock.data-plane.port)", e);
        }
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "flock-data-plane",
                () -> CompletableFuture.supplyAsync(() -> {
                    endpoint.close();
                    return Done.getInstance();
                }));
        system.getWhenTerminated().thenRun(endpoint::close);
    }

    /** The extension of {@code system}, created (and its endpoint started) on first use. */
    public static DataPlane get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /** Where peers reach this node's data plane; a collective's members are such addresses. */
    public InetSocketAddress address() {
        return endpoint.address();
    }

    /**
     * Opens this member's part in one collective. Frames for the same (jobId, epoch, step) that
     * arrived earlier (peers start steps at different times) are buffered and delivered now.
     *
     * @throws IllegalArgumentException when {@code members[rank]} is not this data plane's address or
     *                                  the chunk size exceeds {@code flock.data-plane.max-frame}
     * @throws IllegalStateException    when this member's part in that collective is already open
     */
    public CollectiveSession open(CollectiveSpec spec) {
        return endpoint.open(spec);
    }

    /**
     * As {@link #open(CollectiveSpec)}, writing the mean into {@code into} (a contiguous float32
     * vector of {@code spec.length()} values, e.g. one reused every step) and completing with it.
     * Saves allocating (and page-faulting) a new result vector per step, which costs about as much
     * as moving it; {@code into} must not be read or written until the result completes.
     */
    public CollectiveSession open(CollectiveSpec spec, org.nd4j.linalg.api.ndarray.INDArray into) {
        return endpoint.open(spec, into);
    }

    /**
     * Fails open sessions of {@code jobId} with epoch &lt; {@code epoch} (CollectiveException
     * "aborted: reason") and drops their buffered frames and any later frames of those epochs.
     * {@code Long.MAX_VALUE} = the job is over. Sessions opened later for such an epoch fail at once.
     */
    public void abortBefore(String jobId, long epoch, String reason) {
        endpoint.abortBefore(jobId, epoch, reason);
    }

    public DataPlaneSettings settings() {
        return endpoint.settings();
    }

    /** The Pekko-free endpoint behind this extension. */
    public DataPlaneEndpoint endpoint() {
        return endpoint;
    }

    /** Pekko's placeholders for the canonical host name, resolved as Artery does. */
    private static String host(String configured) {
        try {
            return switch (configured) {
                case "<getHostAddress>", "" -> InetAddress.getLocalHost().getHostAddress();
                case "<getHostName>" -> InetAddress.getLocalHost().getHostName();
                default -> configured;
            };
        } catch (UnknownHostException e) {
            throw new UncheckedIOException("cannot resolve this host's name for the data plane", e);
        }
    }

    private static final class Id extends ExtensionId<DataPlane> {
        @Override
        public DataPlane createExtension(ActorSystem<?> system) {
            return new DataPlane(system);
        }
    }
}
