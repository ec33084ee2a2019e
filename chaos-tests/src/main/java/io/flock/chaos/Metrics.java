package io.flock.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/** Reads one series from a node's Prometheus {@code /metrics} text; a node that does not answer has no value. */
final class Metrics {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Metrics() {}

    /**
     * The value of {@code series} (e.g. {@code flock_cluster_members{status="up",}}) on the node
     * whose metrics listen on {@code port}; empty when the node does not answer within 2 s or has no such series.
     */
    static OptionalDouble value(int port, String series) {
        return sum(port, line -> line.startsWith(series + " "));
    }

    /** The sum over every label set of metric {@code name} (e.g. {@code flock_steps_total}); empty when absent. */
    static OptionalDouble total(int port, String name) {
        return sum(port, line -> line.startsWith(name + "{") || line.startsWith(name + " "));
    }

    private static OptionalDouble sum(int port, java.util.function.Predicate<String> selected) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).build();
            String body = HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            boolean found = false;
            for (String line : body.split("\n")) {
                if (!selected.test(line)) continue;
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
                found = true;
            }
            return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalDouble.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalDouble.empty();
        }
    }
}
