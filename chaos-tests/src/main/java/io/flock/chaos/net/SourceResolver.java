package io.flock.chaos.net;

import java.util.Optional;

/** Names the process at the other end of a connection a proxy accepted (a seam: tests name their own sockets). */
@FunctionalInterface
public interface SourceResolver {

    /**
     * The name of the process whose socket has local port {@code sourcePort} and is connected to
     * {@code destinationPort} on this machine; empty when it is none of the known processes.
     */
    Optional<String> sourceOf(int sourcePort, int destinationPort);

    /**
     * Whether the source's end of that connection no longer belongs to any process (it was closed,
     * e.g. by a process that is exiting): such a connection is dead and is refused, not counted
     * as of unknown source.
     */
    default boolean sourceClosed(int sourcePort, int destinationPort) {
        return false;
    }
}
