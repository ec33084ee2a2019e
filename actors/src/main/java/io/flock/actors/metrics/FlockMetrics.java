package io.flock.actors.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.hotspot.DefaultExports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.OptionalInt;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's {@link TrainingMetrics}, as a Pekko extension so that any actor reaches them with
 * {@code FlockMetrics.get(system).metrics()} without constructor changes. When
 * {@code flock.metrics.enabled} is on, the extension owns a fresh Prometheus registry with the
 * JVM's hotspot collectors and serves it over HTTP at {@code /metrics} until the ActorSystem
 * terminates (CoordinatedShutdown included); when off, metrics are {@link TrainingMetrics#DISABLED}.
 */
public final class FlockMetrics implements Extension {

    private static final Id ID = new Id();

    private final MetricsSettings settings;
    private final TrainingMetrics metrics;
    private final HTTPServer server;

    private FlockMetrics(ActorSystem<?> system) {
        settings = MetricsSettings.fromConfig(system.settings().config());
        if (!settings.enabled()) {
            metrics = TrainingMetrics.DISABLED;
            server = null;
            return;
        }
        CollectorRegistry registry = new CollectorRegistry(true);
        DefaultExports.register(registry);
        metrics = new PrometheusMetrics(registry);
        try {
            server = new HTTPServer.Builder().withHostname(settings.host()).withPort(settings.port())
                    .withRegistry(registry).withDaemonThreads(true).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + settings.host() + ":" + settings.port()
                    + " (flock.metrics.host/port)", e);
        }
        system.getWhenTerminated().thenRun(server::close);
        system.log().info("metrics at http://{}:{}/metrics", settings.host(), server.getPort());
    }

    /** The extension of {@code system}, created (and its HTTP server started) on first use. */
    public static FlockMetrics get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    public TrainingMetrics metrics() {
        return metrics;
    }

    public MetricsSettings settings() {
        return settings;
    }

    /** The port {@code /metrics} is served on, empty when metrics are disabled. */
    public OptionalInt port() {
        return server == null ? OptionalInt.empty() : OptionalInt.of(server.getPort());
    }

    private static final class Id extends ExtensionId<FlockMetrics> {
        @Override
        public FlockMetrics createExtension(ActorSystem<?> system) {
            return new FlockMetrics(system);
        }
    }
}
