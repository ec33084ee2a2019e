package io.flock.actors.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test helper: reads a node's /metrics page over HTTP and picks samples out of it. */
public final class MetricsScraper {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private MetricsScraper() {}

    /** The text exposition served at http://127.0.0.1:{@code port}/metrics. */
    public static String scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new IOException("/metrics answered " + response.statusCode());
        return response.body();
    }

    /** The value of the sample written exactly as {@code series} (name and labels), or NaN when absent. */
    public static double value(String page, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(page);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
