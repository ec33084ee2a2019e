package io.flock.actors.admin;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import io.flock.strategies.Strategy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * The node's admin endpoint (pekko-http): {@code GET /admin/status} (members and the running
 * job's step and strategy, as JSON),
 * {@code POST /admin/checkpoint}, {@code POST /admin/strategy}, every request with
 * {@code Authorization: Bearer <flock.admin.token>} or answered 401. {@code /admin/checkpoint}
 * checkpoints the running job at its next step boundary and answers with the file;
 * {@code POST /admin/strategy?to=ring} switches the running job's strategy at its next step
 * boundary and answers once the first step under it is assigned.
 * Off unless a token is configured; {@code /metrics} is a separate, read-only endpoint. It reaches
 * the coordinator only through {@link JobControl}; its timeouts are {@link AdminSettings}.
 */
public final class AdminHttp {

    private final ActorSystem<?> system;
    private final JobControl jobs;
    private final AdminSettings settings;
    private final byte[] token;

    private AdminHttp(ActorSystem<?> system, JobControl jobs, AdminSettings settings) {
        this.system = system;
        this.jobs = jobs;
        this.settings = settings;
        this.token = ("Bearer " + settings.token()).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Binds the admin endpoint when {@code flock.admin.token} is set and waits up to
     * {@code flock.admin.bind-timeout} for it; unbinds on CoordinatedShutdown. Empty when off.
     *
     * @return the bound port
     * @throws IllegalStateException when it cannot bind in time
     */
    public static OptionalInt startIfEnabled(ActorSystem<?> system, JobControl jobs) {
        AdminSettings settings = AdminSettings.fromConfig(system.settings().config());
        if (!settings.enabled()) return OptionalInt.empty();
        CompletionStage<ServerBinding> binding = Http.get(system).newServerAt(settings.host(), settings.port())
                .bind(new AdminHttp(system, jobs, settings).routes())
                .thenApply(b -> b.addToCoordinatedShutdown(settings.unbindDeadline(), system));
        try {
            return OptionalInt.of(binding.toCompletableFuture()
                    .get(settings.bindTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .localAddress().getPort());
        } catch (Exception e) {
            throw new IllegalStateException("cannot bind the admin endpoint (flock.admin.host/port): " + e, e);
        }
    }

    Route routes() {
        return pathPrefix("admin", () -> authorized(() -> concat(
                path("status", () -> get(() -> completeWithFuture(status()))),
                path("checkpoint", () -> post(() -> completeWithFuture(checkpoint()))),
                path("strategy", () -> post(() -> parameterOptional("to", to -> to
                        .<Route>map(name -> completeWithFuture(switchTo(name)))
                        .orElseGet(() -> json(StatusCodes.BAD_REQUEST,
                                error("missing query parameter 'to', e.g. POST /admin/strategy?to=ring")))))))));
    }

    /** Switches the running job: 200 with the step it took effect at, 400 for a bad name, 409 when refused. */
    private CompletionStage<HttpResponse> switchTo(String name) {
        Strategy target;
        try {
            target = Strategy.parse(name);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(response(StatusCodes.BAD_REQUEST, error(e.getMessage())));
        }
        return onRunningJob(job -> jobs.switchStrategy(job.id(), target, settings.actionTimeout())
                .thenApply(r -> r.error() == null
                        ? response(StatusCodes.OK, "{\"jobId\":" + quote(r.jobId()) + ",\"strategy\":"
                                + quote(r.strategy()) + ",\"atStep\":" + r.atStep() + "}")
                        : response(StatusCodes.CONFLICT, error(r.error()))));
    }

    /**
     * {@code action} on the running job; 409 when none runs, 503 when the coordinator does not
     * answer (the status ask or the action's).
     */
    private CompletionStage<HttpResponse> onRunningJob(Function<JobControl.Job, CompletionStage<HttpResponse>> action) {
        return jobs.status(settings.askTimeout())
                .thenCompose(job -> !job.running()
                        ? CompletableFuture.completedFuture(response(StatusCodes.CONFLICT, error("no job is running")))
                        : action.apply(job))
                .exceptionally(e -> response(StatusCodes.SERVICE_UNAVAILABLE,
                        error("the coordinator did not answer: " + e.getMessage())));
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

    /** Checkpoints the running job: 200 with the file, 409 when no job runs, 500 when writing failed. */
    private CompletionStage<HttpResponse> checkpoint() {
        return onRunningJob(job -> jobs.checkpoint(job.id(), settings.actionTimeout())
                .thenApply(r -> r.error() == null
                        ? response(StatusCodes.OK, "{\"jobId\":" + quote(r.jobId()) + ",\"step\":"
                                + r.step() + ",\"path\":" + quote(r.path()) + "}")
                        : response(StatusCodes.INTERNAL_SERVER_ERROR, error(r.error()))));
    }

    private static HttpResponse response(StatusCode status, String body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
    }

    /** Members as this node sees them and the coordinator's job status. */
    private CompletionStage<HttpResponse> status() {
        return jobs.status(settings.askTimeout())
                .handle((job, error) -> HttpResponse.create().withStatus(StatusCodes.OK).withEntity(
                        ContentTypes.APPLICATION_JSON, "{" + members() + ",\"job\":" + (job != null ? job(job)
                                : "{\"error\":" + quote("the coordinator did not answer: " + error.getMessage()) + "}")
                                + "}"));
    }

    private static String job(JobControl.Job job) {
        if (!job.running()) return "{\"running\":false,\"queued\":" + job.queued() + "}";
        return "{\"running\":true,\"id\":" + quote(job.id()) + ",\"step\":" + job.step() + ",\"totalSteps\":"
                + job.totalSteps() + ",\"strategy\":" + quote(job.strategy()) + ",\"workers\":" + job.workers()
                + ",\"queued\":" + job.queued() + "}";
    }

    private String members() {
        Cluster cluster = Cluster.get(system);
        StringBuilder members = new StringBuilder();
        for (Member m : cluster.state().getMembers()) {
            if (members.length() > 0) members.append(',');
            members.append("{\"address\":").append(quote(m.address().toString()))
                    .append(",\"status\":").append(quote(m.status().toString()))
                    .append(",\"roles\":[").append(String.join(",", m.getRoles().stream().sorted().map(AdminHttp::quote)
                            .toList())).append("]}");
        }
        return "\"node\":" + quote(cluster.selfMember().address().toString()) + ",\"members\":[" + members + "]";
    }

    private static Route json(StatusCode status, String body) {
        return complete(response(status, body));
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
