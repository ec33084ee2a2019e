package io.flock.chaos.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Source identification through the real /proc of this Linux machine. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketOwnersTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void sourceOf_connectionOfThisProcess_namesIt() throws Exception {
        assumeTrue(SocketOwners.available(), "needs Linux /proc");
        SocketOwners owners = new SocketOwners();
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK);
                Socket client = new Socket(LOOPBACK, server.getLocalPort());
                Socket accepted = server.accept()) {
            assertEquals(Optional.empty(), owners.sourceOf(client.getLocalPort(), server.getLocalPort()),
                    "no process registered yet");

            owners.register(ProcessHandle.current().pid(), "me");

            assertEquals(Optional.of("me"), owners.sourceOf(accepted.getPort(), server.getLocalPort()));
            assertEquals(Optional.empty(), owners.sourceOf(accepted.getPort(), server.getLocalPort() + 1 == 65536
                    ? 1 : server.getLocalPort() + 1), "a connection to another port");
        }
    }

    @Test
    void sourceOf_connectionOfAChildProcess_namesTheChild() throws Exception {
        assumeTrue(SocketOwners.available() && Files.isExecutable(Path.of("/bin/bash")), "needs Linux /proc and bash");
        SocketOwners owners = new SocketOwners();
        owners.register(ProcessHandle.current().pid(), "harness");
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
            // bash holds the connection open until the server closes it
            Process child = new ProcessBuilder("/bin/bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort() + "; cat <&3").start();
            try (Socket accepted = server.accept()) {
                owners.register(child.pid(), "child");

                assertEquals(Optional.of("child"), owners.sourceOf(accepted.getPort(), server.getLocalPort()));
            } finally {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void sourceClosed_onlyOnceTheSourceSocketIsGone() throws Exception {
        assumeTrue(SocketOwners.available(), "needs Linux /proc");
        SocketOwners owners = new SocketOwners();
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
            Socket client = new Socket(LOOPBACK, server.getLocalPort());
            try (Socket accepted = server.accept()) {
                assertEquals(false, owners.sourceClosed(accepted.getPort(), server.getLocalPort()));
                client.setSoLinger(true, 0);
                client.close(); // reset: the client's socket leaves the table at once

                assertEquals(true, owners.sourceClosed(accepted.getPort(), server.getLocalPort()));
            }
        }
    }

    @Test
    void port_parsesProcHexAddresses() {
        assertEquals(8080, SocketOwners.port("0100007F:1F90"));
        assertEquals(2551, SocketOwners.port("0000000000000000FFFF00000100007F:09F7"));
    }
}
