package io.flock.chaos.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds which of a set of known local processes opened a loopback TCP connection, without
 * privileges (Linux only): {@code /proc/net/tcp} and {@code /proc/net/tcp6} give the socket inode of
 * the connection whose local port is the source port and whose remote port is the proxy's, and
 * {@code /proc/<pid>/fd} shows which registered process holds {@code socket:[inode]}. Java sockets
 * are dual-stack, so IPv4 connections usually appear in {@code tcp6} as {@code ::ffff:127.0.0.1}.
 */
public final class SocketOwners implements SourceResolver {

    private static final Path PROC = Path.of("/proc");
    /** Columns of /proc/net/tcp*: sl, local_address, rem_address, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode. */
    private static final int LOCAL = 1;
    private static final int REMOTE = 2;
    private static final int INODE = 9;

    private final Map<Long, String> names = new ConcurrentHashMap<>();
    private final Path proc;

    public SocketOwners() {
        this(PROC);
    }

    /** Reads {@code proc} instead of /proc (tests). */
    SocketOwners(Path proc) {
        this.proc = proc;
    }

    /** Whether this machine has the files this needs (Linux procfs). */
    public static boolean available() {
        return Files.isReadable(PROC.resolve("net/tcp")) && Files.isDirectory(PROC.resolve("self/fd"));
    }

    /** From now on connections opened by {@code pid} are attributed to {@code name}. */
    public void register(long pid, String name) {
        names.put(pid, name);
    }

    @Override
    public Optional<String> sourceOf(int sourcePort, int destinationPort) {
        OptionalLong inode = inode(sourcePort, destinationPort);
        if (inode.isEmpty()) return Optional.empty();
        String socket = "socket:[" + inode.getAsLong() + "]";
        for (Map.Entry<Long, String> e : names.entrySet()) {
            if (holds(e.getKey(), socket)) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }

    @Override
    public boolean sourceClosed(int sourcePort, int destinationPort) {
        return inode(sourcePort, destinationPort).isEmpty();
    }

    /** The inode of the socket whose local port is {@code localPort} and remote port {@code remotePort}. */
    OptionalLong inode(int localPort, int remotePort) {
        for (String table : List.of("net/tcp6", "net/tcp")) {
            Path file = proc.resolve(table);
            if (!Files.isReadable(file)) continue;
            try {
                for (String line : Files.readAllLines(file)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length <= INODE || !f[0].endsWith(":")) continue; // header
                    if (port(f[LOCAL]) == localPort && port(f[REMOTE]) == remotePort) {
                        long inode = Long.parseLong(f[INODE]);
                        if (inode != 0) return OptionalLong.of(inode);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + file, e);
            }
        }
        return OptionalLong.empty();
    }

    /** {@code 0100007F:1F90} → 8080. */
    static int port(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }

    private boolean holds(long pid, String socket) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve(pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    if (socket.equals(Files.readSymbolicLink(fd).toString())) return true;
                } catch (NoSuchFileException closedMeanwhile) {
                    // the descriptor was closed while listing
                }
            }
        } catch (NoSuchFileException exited) {
            return false;
        } catch (IOException e) {
            return false; // not ours to read, or gone
        }
        return false;
    }
}
