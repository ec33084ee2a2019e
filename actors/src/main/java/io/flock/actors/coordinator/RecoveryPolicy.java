package io.flock.actors.coordinator;

import io.flock.strategies.Strategy;

/**
 * What the coordinator does about a disturbance of a job: a typed cause (workers changed, a
 * member removed, a collective failed, a stall, a job adopted after a failover) and the job's
 * situation in, a decision value out. Horovod's two signals are kept apart: a failed collective
 * re-forms the view from the survivors' replicas, a membership change under a parameter server
 * re-syncs from the lowest shard version. Pure: no actors, no clock.
 */
final class RecoveryPolicy {

    private RecoveryPolicy() {}

    /** Where the job stands, as far as recovery is concerned. */
    enum Stage {
        /** Loading data, initialising (and switching) shards: nothing to recover yet. */
        PREPARING,
        /** Too few workers (or shards ready, workers not yet assigned). */
        WAITING,
        RESYNCING,
        FORMING,
        RUNNING,
        /** A strategy switch between Hold and the new view's start. */
        SWITCHING,
        /** Every step is applied: only the final evaluation is missing. */
        FINISHING;

        /** Workers are assigned, or being re-assigned, to the job. */
        boolean training() {
            return this == RESYNCING || this == FORMING || this == RUNNING || this == SWITCHING;
        }
    }

    /**
     * @param family         the family of the strategy in force
     * @param seeding        switching away from ring/tree: rank 0 copies its replica into the shards
     * @param chosen         reachable workers the job would use now (the first maxWorkers)
     * @param viewChanged    the chosen workers differ from the view in force (or being formed)
     * @param paused         a Paused event was sent and no view started since
     * @param formAt         the step the view being formed starts at, -1: the replicas decide
     * @param firstVersion   the version the shards were initialised at (-1 for an adopted job)
     */
    record Situation(Stage stage, Strategy.Family family, boolean seeding, int chosen, int minWorkers,
            boolean viewChanged, long membershipEpoch, boolean paused, long formAt, long firstVersion) {}

    /** What happened. */
    sealed interface Cause {}

    /** The receptionist's listing of workers changed. */
    record WorkersChanged() implements Cause {}

    /** A cluster member was removed: a shard primary on it recovers from its backup. */
    record MemberRemoved() implements Cause {}

    /** A collective step could not finish on a worker of view {@code epoch}. */
    record CollectiveFailed(long epoch) implements Cause {}

    /** No step committed for {@code idleNanos}, more than {@code timeoutNanos}. */
    record Stalled(long idleNanos, long timeoutNanos) implements Cause {}

    /** A coordinator that took over adopted the job from a worker's assignment. */
    record Adopted() implements Cause {}

    /** The job's shards are initialised (and in the job's mode): assign its first view. */
    record ShardsReady() implements Cause {}

    /** A switch was abandoned (a shard refused it): re-assign the workers. */
    record SwitchAbandoned() implements Cause {}

    /** A worker cannot take part in the job. */
    record WorkerFailed(int rank, String reason) implements Cause {}

    /** A shard's primary and backup are both gone. */
    record ShardLost(String reason) implements Cause {}

    /** What to do. */
    sealed interface Decision {}

    /** Nothing: the cause does not concern the job as it stands. */
    record Ignore() implements Decision {}

    /** Wait for workers; {@code tellClient}: tell the client the job pauses. */
    record Pause(boolean tellClient) implements Decision {}

    /** Ask every shard its version and resume from the lowest (parameter-server families). */
    record Resync() implements Decision {}

    /** Form a collective view starting at {@code at}; -1: at the newest replica a member holds. */
    record Reform(long at) implements Decision {}

    /** Start the first view at {@code step}. */
    record StartFrom(long step) implements Decision {}

    /** The job cannot go on. */
    record Fail(String reason) implements Decision {}

    static Decision decide(Cause cause, Situation s) {
        if (cause instanceof WorkerFailed f) return new Fail("worker " + f.rank() + " failed: " + f.reason());
        if (cause instanceof ShardLost lost) return new Fail(lost.reason());
        return concerns(cause, s) ? assign(s) : new Ignore();
    }

    /** Whether a pending switch is abandoned by {@code decision}: the view it was holding is gone. */
    static boolean abandonsSwitch(Situation s, Decision decision) {
        return s.stage() != Stage.FORMING && (decision instanceof Resync || decision instanceof Reform
                || decision instanceof StartFrom);
    }

    private static boolean concerns(Cause cause, Situation s) {
        boolean collective = s.family() == Strategy.Family.COLLECTIVE;
        if (cause instanceof WorkersChanged) return s.stage() == Stage.WAITING || s.stage().training() && s.viewChanged();
        // Under ring/tree the shards are not in the step's path: only a worker's loss matters,
        // and the receptionist's listing (or a CollectiveFailed) reports that.
        if (cause instanceof MemberRemoved) return s.stage().training() && (!collective || s.seeding());
        if (cause instanceof CollectiveFailed f) return s.stage() == Stage.RUNNING && f.epoch() == s.membershipEpoch();
        if (cause instanceof Stalled st) return s.stage() == Stage.RUNNING && st.idleNanos() > st.timeoutNanos();
        return true; // Adopted, ShardsReady, SwitchAbandoned
    }

    /**
     * (Re)assigns the job's workers. The first time they start at the first version. After a
     * membership change a parameter-server job resumes at the lowest version any shard holds, a
     * collective one at the newest replica (or the switch boundary it was forming at). Below
     * minWorkers the job pauses instead.
     */
    private static Decision assign(Situation s) {
        boolean collective = s.family() == Strategy.Family.COLLECTIVE;
        if (s.chosen() < s.minWorkers()) return new Pause(s.membershipEpoch() > 0 && !s.paused());
        if (s.membershipEpoch() == 0) return collective ? new Reform(s.firstVersion()) : new StartFrom(s.firstVersion());
        if (collective) return new Reform(s.formAt() >= 0 && s.stage() == Stage.FORMING ? s.formAt() : -1);
        return new Resync();
    }
}
