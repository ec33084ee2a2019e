package io.flock.launcher;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a graceful CoordinatedShutdown of a node, so that the process
 * leaves the cluster and exits with 0 (the JVM's default handling exits with 143 after the
 * shutdown hooks). Uses {@code sun.misc.Signal}, the JDK's only signal API (module jdk.unsupported).
 */
final class StopOnSignal {

    /** Why the node stopped, when a signal stopped it. */
    enum Reason implements CoordinatedShutdown.Reason {
        SIGTERM, SIGINT
    }

    private StopOnSignal() {}

    static void install(ActorSystem<?> system) {
        for (Reason reason : Reason.values()) {
            Signal.handle(new Signal(reason.name().substring(3)),
                    signal -> CoordinatedShutdown.get(system).runAll(reason));
        }
    }

    /** Stops that the operator asked for: a signal, or the node left the cluster on request. */
    static boolean isGraceful(CoordinatedShutdown.Reason reason) {
        return reason instanceof Reason || reason == CoordinatedShutdown.clusterLeavingReason();
    }
}
