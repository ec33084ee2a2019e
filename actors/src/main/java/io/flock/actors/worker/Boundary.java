package io.flock.actors.worker;

/**
 * A loop's step boundary for a strategy switch or a view change: steps at or above {@link
 * #stopAt()} are not begun, and once the loop is there it tells the coordinator, if asked to
 * ({@link Worker.RunTo}), exactly once. {@link Worker.Hold} moves the boundary without asking
 * for that report. Pure state: the loop decides when the boundary is reached.
 */
final class Boundary {

    private long stopAt = Long.MAX_VALUE;
    private boolean wanted;

    /** No boundary: a new view runs freely. */
    void reset() {
        stopAt = Long.MAX_VALUE;
        wanted = false;
    }

    /** Hold: begin nothing from {@code firstNotBegun} on; returns it (the answer to the coordinator). */
    long hold(long firstNotBegun) {
        stopAt = firstNotBegun;
        return stopAt;
    }

    /** RunTo: run every step below {@code step}, then report once. */
    void runTo(long step) {
        stopAt = step;
        wanted = true;
    }

    /** Prepare: stop at {@code step} without a report (a new view will be assigned). */
    void stopSilentlyAt(long step) {
        stopAt = step;
        wanted = false;
    }

    /** Whether step {@code t} may not be begun. */
    boolean stops(long t) {
        return t >= stopAt;
    }

    long stopAt() {
        return stopAt;
    }

    /**
     * Whether the loop should report the boundary now: true once when it is {@code reached} and
     * a report is wanted (the report is then no longer wanted).
     */
    boolean claimReport(boolean reached) {
        if (!wanted || !reached) return false;
        wanted = false;
        return true;
    }
}
