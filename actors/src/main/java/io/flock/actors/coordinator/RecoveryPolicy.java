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

    /** What happened; each cause states the policy's rule for it ({@link #decide}). */
    sealed interface Cause {
        /** What the coordinator does about this cause in situation {@code s}. */
        Decision decide(Situation s);

        /** True for a stall: the watchdog's clock restarts when the policy acts on it. */
        default boolean stall() {
            return false;
        }
    }

    /** The receptionist's listing of workers changed. */
    record WorkersChanged() implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assignIf(s.stage() == Stage.WAITING || s.stage().training() && s.viewChanged(), s);
        }
    }

    /**
     * A cluster member was removed: a shard primary on it recovers from its backup. Under ring/tree
     * the shards are not in the step's path: only a worker's loss matters, and the receptionist's
     * listing (or a CollectiveFailed) reports that.
     */
    record MemberRemoved() implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assignIf(s.stage().training() && (s.family() != Strategy.Family.COLLECTIVE || s.seeding()), s);
        }
    }

    /** A collective step could not finish on a worker of view {@code epoch}. */
    record CollectiveFailed(long epoch) implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assignIf(s.stage() == Stage.RUNNING && epoch == s.membershipEpoch(), s);
        }
    }

    /** No step committed for {@code idleNanos}, more than {@code timeoutNanos}. */
    record Stalled(long idleNanos, long timeoutNanos) implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assignIf(s.stage() == Stage.RUNNING && idleNanos > timeoutNanos, s);
        }

        @Override
        public boolean stall() {
            return true;
        }
    }

    /** A coordinator that took over adopted the job from a worker's assignment. */
    record Adopted() implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assign(s);
        }
    }

    /** The job's shards are initialised (and in the job's mode): assign its first view. */
    record ShardsReady() implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assign(s);
        }
    }

    /** A switch was abandoned (a shard refused it): re-assign the workers. */
    record SwitchAbandoned() implements Cause {
        @Override
        public Decision decide(Situation s) {
            return assign(s);
        }
    }

    /** A worker cannot take part in the job. */
    record WorkerFailed(int rank, String reason) implements Cause {
        @Override
        public Decision decide(Situation s) {
            return new Fail("worker " + rank + " failed: " + reason);
        }
    }

    /** A shard's primary and backup are both gone. */
    record ShardLost(String reason) implements Cause {
        @Override
        public Decision decide(Situation s) {
            return new Fail(reason);
        }
    }

    /** What carries a {@link Decision} out: each decision calls the one method that is its own. */
    interface Actions {
        void pause(boolean tellClient);

        void resync();

        void reform(long at);

        void startFrom(long step);

        void fail(String reason);
    }

    /** What to do. */
    sealed interface Decision {
        /** Calls the action of this decision ({@link Ignore} calls none). */
        void carryOut(Actions actions);

        /** True for {@link Ignore}: the cause does not concern the job, nothing is logged or done. */
        default boolean ignored() {
            return false;
        }

        /** True when the decision (re)assigns the workers: a new view replaces the one in force. */
        default boolean movesWorkers() {
            return false;
        }

        /** True when the decision starts a view (first view: the periodic checkpoints are scheduled then). */
        default boolean startsView() {
            return false;
        }
    }

    /** Nothing: the cause does not concern the job as it stands. */
    record Ignore() implements Decision {
        @Override
        public void carryOut(Actions actions) {}

        @Override
        public boolean ignored() {
            return true;
        }
    }

    /** Wait for workers; {@code tellClient}: tell the client the job pauses. */
    record Pause(boolean tellClient) implements Decision {
        @Override
        public void carryOut(Actions actions) {
            actions.pause(tellClient);
        }
    }

    /** Ask every shard its version and resume from the lowest (parameter-server families). */
    record Resync() implements Decision {
        @Override
        public void carryOut(Actions actions) {
            actions.resync();
        }

        @Override
        public boolean movesWorkers() {
            return true;
        }
    }

    /** Form a collective view starting at {@code at}; -1: at the newest replica a member holds. */
    record Reform(long at) implements Decision {
        @Override
        public void carryOut(Actions actions) {
            actions.reform(at);
        }

        @Override
        public boolean movesWorkers() {
            return true;
        }

        @Override
        public boolean startsView() {
            return true;
        }
    }

    /** Start the first view at {@code step}. */
    record StartFrom(long step) implements Decision {
        @Override
        public void carryOut(Actions actions) {
            actions.startFrom(step);
        }

        @Override
        public boolean movesWorkers() {
            return true;
        }

        @Override
        public boolean startsView() {
            return true;
        }
    }

    /** The job cannot go on. */
    record Fail(String reason) implements Decision {
        @Override
        public void carryOut(Actions actions) {
            actions.fail(reason);
        }
    }

    static Decision decide(Cause cause, Situation s) {
        return cause.decide(s);
    }

    /** Whether a pending switch is abandoned by {@code decision}: the view it was holding is gone. */
    static boolean abandonsSwitch(Situation s, Decision decision) {
        return s.stage() != Stage.FORMING && decision.movesWorkers();
    }

    /** {@link #assign} when the cause concerns the job as it stands, else {@link Ignore}. */
    private static Decision assignIf(boolean concerns, Situation s) {
        return concerns ? assign(s) : new Ignore();
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
