package io.flock.actors.dataplane;

import java.net.InetSocketAddress;

/**
 * A collective did not complete: a peer's connection was refused or lost, the collective was
 * aborted ({@link DataPlane#abortBefore}), the data plane closed, or a peer sent frames that do
 * not fit the collective. The message names the cause; {@link #peer()} the peer, when one is to blame.
 */
public final class CollectiveException extends RuntimeException {

    /** What went wrong. */
    public enum Reason {
        /** A connection to the peer could not be made (refused, unreachable, timed out). */
        CONNECT_FAILED,
        /** An established connection to or from the peer broke. */
        CONNECTION_LOST,
        /** {@link DataPlane#abortBefore} covered this collective's epoch. */
        ABORTED,
        /** The peer sent a frame that is malformed or does not fit this collective. */
        GARBAGE,
        /** This data plane closed (node shutting down). */
        CLOSED
    }

    private final Reason reason;
    private final transient InetSocketAddress peer;

    public CollectiveException(Reason reason, InetSocketAddress peer, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.peer = peer;
    }

    public CollectiveException(Reason reason, InetSocketAddress peer, String message) {
        this(reason, peer, message, null);
    }

    public Reason reason() {
        return reason;
    }

    /** The peer to blame, or null (aborted, closed). */
    public InetSocketAddress peer() {
        return peer;
    }
}
