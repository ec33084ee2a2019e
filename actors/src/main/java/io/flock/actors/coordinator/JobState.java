package io.flock.actors.coordinator;

import io.flock.actors.job.SwitchResult;
import io.flock.actors.worker.Worker;
import io.flock.strategies.Strategy;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where the active job stands, each state with its own data. A state that waits for answers
 * names the child gathering them ({@link #child()}) and the ticket its result must carry; a
 * result with another ticket is stale and dropped. See {@link ActiveJob} for the transitions.
 */
sealed interface JobState {

    RecoveryPolicy.Stage stage();

    /** The lower-case name used in messages ("job j is syncing, not running"). */
    String describe();

    /** The child gathering answers in this state, if any; stopped when the job leaves it. */
    default ActorRef<?> child() {
        return null;
    }

    /** The ticket the child's result carries; -1 when there is none. */
    default long ticket() {
        return -1;
    }

    /** A strategy switch to finish (or abandon) when this state ends; null if none. */
    default SwitchRequest pendingSwitch() {
        return null;
    }

    /** A requested strategy switch: who asked, from what, to what and why. */
    record SwitchRequest(Strategy from, Strategy target, ActorRef<SwitchResult> replyTo, String reason) {}

    /** Loading the dataset ({@code child} null), initialising the shards, or switching them to the job's mode. */
    record Preparing(boolean switchingShards, long ticket, ActorRef<?> child) implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.PREPARING;
        }

        public String describe() {
            return child == null ? "preparing" : "initializing_shards";
        }
    }

    /** Fewer workers than the job needs (or shards just ready); a switch interrupted by it is abandoned later. */
    record Waiting(SwitchRequest pendingSwitch) implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.WAITING;
        }

        public String describe() {
            return "waiting_for_workers";
        }
    }

    /**
     * Asking every shard its version ({@link Resync}); {@code members}: the collective view to
     * start when no member held a replica, null for parameter-server jobs.
     */
    record Resyncing(long ticket, List<ActorRef<Worker.Command>> members, ActorRef<?> child) implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.RESYNCING;
        }

        public String describe() {
            return "syncing";
        }
    }

    /**
     * Forming a collective view of {@code members} in round {@code round}, starting at {@code at}
     * (-1: at the newest replica a member holds).
     */
    record Forming(long at, long round, List<ActorRef<Worker.Command>> members, long ticket, ActorRef<?> child,
            SwitchRequest pendingSwitch) implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.FORMING;
        }

        public String describe() {
            return "forming";
        }
    }

    /** Workers train; steps are reported. */
    record Running() implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.RUNNING;
        }

        public String describe() {
            return "running";
        }
    }

    /** The steps of a strategy switch (docs/switching.md). */
    enum SwitchStep {
        /** Waiting for every worker's {@code Held}. */
        HOLDING,
        /** The workers run up to the boundary. */
        DRAINING,
        /** Switching to PS: rank 0 copies its replica into the shards. */
        SEEDING,
        /** Every shard converts (ps-bsp ↔ ps-ssp / ps-asp) at the boundary. */
        SWITCHING_SHARDS
    }

    /** A switch under way: at {@code step}, towards {@code boundary}. */
    record Switching(SwitchRequest request, SwitchStep step, long boundary, long ticket, ActorRef<?> child)
            implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.SWITCHING;
        }

        public String describe() {
            return step.name().toLowerCase();
        }

        @Override
        public SwitchRequest pendingSwitch() {
            return request;
        }
    }

    /** Every step is reported (or applied): the final evaluation is under way. */
    record Finishing() implements JobState {
        public RecoveryPolicy.Stage stage() {
            return RecoveryPolicy.Stage.FINISHING;
        }

        public String describe() {
            return "finishing";
        }
    }
}
