package io.flock.actors.coordinator;

import io.flock.actors.worker.WorkerReport;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A routing table for the worker's {@link WorkerReport}s, which reach the coordinator through one
 * message adapter: report class to handler, like a receive builder, so no {@code instanceof}
 * ladder routes them. {@link #complete()} refuses a table that misses a report type, which Java 17
 * (no pattern switch) cannot check at compile time.
 */
final class ReportRoutes<R> {

    private final Map<Class<?>, Function<WorkerReport, R>> routes = new HashMap<>();

    /** Routes reports of {@code type} to {@code handler}. */
    <T extends WorkerReport> ReportRoutes<R> on(Class<T> type, Function<T, R> handler) {
        routes.put(type, report -> handler.apply(type.cast(report)));
        return this;
    }

    /** This table, once every permitted report type has a route; else an error naming the missing ones. */
    ReportRoutes<R> complete() {
        List<String> missing = Arrays.stream(WorkerReport.class.getPermittedSubclasses())
                .filter(c -> !routes.containsKey(c)).map(Class::getSimpleName).toList();
        if (!missing.isEmpty()) throw new IllegalStateException("no route for worker report(s) " + missing);
        return this;
    }

    /** The handler's answer to {@code report}. */
    R route(WorkerReport report) {
        return routes.get(report.getClass()).apply(report);
    }
}
