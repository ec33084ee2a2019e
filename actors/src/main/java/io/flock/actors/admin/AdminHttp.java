package io.flock.actors.admin;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's admin endpoint (pekko-http): {@code GET /admin/status} and
 * {@code POST /admin/checkpoint}, {@code POST /admin/strategy}, every request with
 * {@code Authorization: Bearer <flock.admin.token>} or answered 401. Checkpoints and strategy
 * switching are not built yet: those routes answer 501 with a JSON error rather than pretend.
 * Off unless a token is configured; {@code /metrics} is a separate, read-only endpoint.
 */
public final class AdminHttp {

    private final ActorSystem<?> system;
    private final byte[] token;

    private AdminHttp(ActorSystem<?> system, AdminSettings settings) {
        this.system = system;
        this.token = ("Bearer " + settings.token()).getBytes(StandardCharsets.UTF_8);
    }

    /** Binds the admin endpoint when {@code flock.admin.token} is set; unbinds on CoordinatedShutdown. */
    public static Optional<CompletionStage<ServerBinding>> startIfEnabled(ActorSystem<?> system) {
        AdminSettings settings = AdminSettings.fromConfig(system.settings().config());
        if (!settings.enabled()) return Optional.empty();
        CompletionStage<ServerBinding> binding = Http.get(system).newServerAt(settings.host(), settings.port())
                .bind(new AdminHttp(system, settings).routes());
        return Optional.of(binding.thenApply(b -> b.addToCoordinatedShutdown(Duration.ofSeconds(5), system)));
    }

    Route routes() {
        return pathPrefix("admin", () -> authorized(() -> concat(
                path("status", () -> get(() -> json(StatusCodes.OK, status()))),
                path("checkpoint", () -> post(() -> json(StatusCodes.NOT_IMPLEMENTED,
                        error("checkpoints are not implemented in this build")))),
                path("strategy", () -> post(() -> json(StatusCodes.NOT_IMPLEMENTED,
                        error("strategy switching is not implemented in this build (it runs ps-bsp only)")))))));
    }

    /** {@code inner} for requests with the configured bearer token, 401 for all others. */
    private Route authorized(Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> header
                .filter(h -> MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), token))
                .map(ok -> inner.get())
                .orElseGet(() -> complete(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
                        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"flock-admin\""))
                        .withEntity(ContentTypes.APPLICATION_JSON, error("missing or wrong bearer token")))));
    }

    private String status() {
        Cluster cluster = Cluster.get(system);
        StringBuilder members = new StringBuilder();
        for (Member m : cluster.state().getMembers()) {
            if (members.length() > 0) members.append(',');
            members.append("{\"address\":").append(quote(m.address().toString()))
                    .append(",\"status\":").append(quote(m.status().toString()))
                    .append(",\"roles\":[").append(String.join(",", m.getRoles().stream().sorted().map(AdminHttp::quote)
                            .toList())).append("]}");
        }
        return "{\"node\":" + quote(cluster.selfMember().address().toString()) + ",\"members\":[" + members + "]}";
    }

    private static Route json(StatusCode status, String body) {
        return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body));
    }

    private static String error(String message) {
        return "{\"error\":" + quote(message) + "}";
    }

    /** A JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
