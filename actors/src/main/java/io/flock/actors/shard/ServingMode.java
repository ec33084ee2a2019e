package io.flock.actors.shard;

import io.flock.strategies.BspShardState;
import io.flock.strategies.Strategy;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a serving {@link ParameterShard} applies gradients and answers reads under one kind of
 * strategy: {@link BspServing} (ps-bsp: whole steps, versioned reads) or {@link SspServing}
 * (ps-ssp / ps-asp: on arrival, clock-gated reads). {@link ServingModes#enter} is the one place
 * that picks a mode for a strategy. Every mode gates what it hands out on what its backup holds.
 */
interface ServingMode {

    ShardSpec spec();

    /** The strategy served now (ps-bsp, or ps-ssp / ps-asp by the staleness bound). */
    Strategy strategy();

    void push(ParameterShard.Push push);

    void pull(ParameterShard.Pull pull);

    void snapshot(ParameterShard.GetSnapshot get);

    void version(ParameterShard.GetVersion get);

    void sspPush(ParameterShard.SspPush push);

    void sspPull(ParameterShard.SspPull pull);

    void progress(ParameterShard.GetSspProgress get);

    /** Whether a versioned read ({@link ParameterShard.Pull}, snapshot, version) is also a moment to retry a pending switch. */
    boolean checksSwitchOnReads();

    /** The backup acknowledged a new ps-bsp version ({@link BackupLink#ackedVersion()}). */
    void backupAcked();

    /** The backup acknowledged ps-ssp gradients; false when this mode takes no such acknowledgement. */
    boolean sspBackupAcked(ParameterShard.Replication.SspBackupAck ack);

    /** A backup was just placed from this state (or is the one it came from), or none can be: release what waited for it. */
    void backupPlaced();

    /** The image a new backup is created from. */
    ShardImage image();

    /** The ps-bsp state: live under ps-bsp, as it was at the switch under ps-ssp / ps-asp. */
    BspShardState stepState();

    /** The state converted to ps-bsp form: what the next mode of a switch starts from. */
    BspShardState.Exported toSteps();

    /** The clock (= version) a switch waits for: ps-bsp steps applied, or ps-ssp clocks whole. */
    long clock();

    /** Nothing in flight (no gradient of an unfinished step or clock, nothing waiting for the backup): a switch point. */
    boolean quiesced();

    /** A switch within this mode's kind (e.g. ps-ssp to ps-asp): takes effect at once. */
    void retune(ParameterShard.SwitchStrategy sw);

    /** This mode was just entered at {@code atClock}: tells the backup to switch too, and {@code replyTo}. */
    void announceSwitch(ActorRef<ParameterShard.Reply> replyTo, long atClock);

    /** Removes the reads this mode holds that the next mode of a switch answers (as calls on it), in order. */
    List<Consumer<ServingMode>> drainReads();

    /** A Seed replaced the state with {@code next} (always ps-bsp): reads still waiting here that it keeps waiting. */
    default void handOverOnSeed(BspServing next) {}
}
