package io.flock.chaos.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The TCP proxy in front of one node: listens on a free loopback port, the port the node
 * advertises as its Artery canonical port, and hands every accepted connection to its
 * {@link ChaosNetwork}, which names its source and forwards it to the node's real (bind) port or
 * refuses it. One accept thread.
 */
public final class LinkProxy implements AutoCloseable {

    private final String node;
    private final int targetPort;
    private final ServerSocket server;
    private final ChaosNetwork network;
    private final Thread acceptor;

    LinkProxy(String node, int targetPort, ChaosNetwork network) {
        this.node = node;
        this.targetPort = targetPort;
        this.network = network;
        try {
            this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a proxy port for " + node, e);
        }
        this.acceptor = new Thread(this::acceptLoop, "proxy-" + node + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The node this proxy stands in front of. */
    public String node() {
        return node;
    }

    /** The port peers connect to: the node's canonical (advertised) Artery port. */
    public int port() {
        return server.getLocalPort();
    }

    /** The node's real Artery port (its bind port). */
    public int targetPort() {
        return targetPort;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            network.admit(this, client);
        }
    }

    /** Stops accepting; connections already open stay until the network cuts or closes them. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
