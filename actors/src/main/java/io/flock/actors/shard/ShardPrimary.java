package io.flock.actors.shard;

import io.flock.actors.shard.ParameterShard.BackupGone;
import io.flock.actors.shard.ParameterShard.BackupStalled;
import io.flock.actors.shard.ParameterShard.Command;
import io.flock.actors.shard.ParameterShard.FindHostsAgain;
import io.flock.actors.shard.ParameterShard.GetSnapshot;
import io.flock.actors.shard.ParameterShard.GetSspProgress;
import io.flock.actors.shard.ParameterShard.GetVersion;
import io.flock.actors.shard.ParameterShard.HostsListed;
import io.flock.actors.shard.ParameterShard.Init;
import io.flock.actors.shard.ParameterShard.Initialized;
import io.flock.actors.shard.ParameterShard.Internal;
import io.flock.actors.shard.ParameterShard.Lost;
import io.flock.actors.shard.ParameterShard.Pull;
import io.flock.actors.shard.ParameterShard.Push;
import io.flock.actors.shard.ParameterShard.Release;
import io.flock.actors.shard.ParameterShard.Replication;
import io.flock.actors.shard.ParameterShard.Replication.BackupAck;
import io.flock.actors.shard.ParameterShard.Replication.BackupReady;
import io.flock.actors.shard.ParameterShard.Replication.BackupState;
import io.flock.actors.shard.ParameterShard.Replication.NoBackup;
import io.flock.actors.shard.ParameterShard.Replication.SspBackupAck;
import io.flock.actors.shard.ParameterShard.Reply;
import io.flock.actors.shard.ParameterShard.Seed;
import io.flock.actors.shard.ParameterShard.SspPull;
import io.flock.actors.shard.ParameterShard.SspPush;
import io.flock.actors.shard.ParameterShard.SwitchStrategy;
import io.flock.strategies.BspShardState;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * The actor behind a {@link ParameterShard} entity: the primary of one shard. Its lifecycle is
 * four behaviours, each with its own receive table: {@link #placingBackup} (work is stashed until
 * a backup on another node holds the state), {@link #recovering} (a primary re-created after a
 * crash finds its backup and adopts its state, work stashed meanwhile), {@link #serving} (work
 * goes to the {@link ServingMode} of the strategy in force; {@link ModeSwitch} changes it) and
 * {@link #lost} (primary and backup both gone). The backup itself is {@link BackupLink}'s.
 */
final class ShardPrimary {

    private final ActorContext<Command> context;
    private final StashBuffer<Command> stash;
    private final String entityId;
    private final BackupLink backup;
    private final ServingModes modes;
    private final ModeSwitch modeSwitch = new ModeSwitch();
    private String jobId;
    private int shardIndex;
    /** Null until Init, Seed or recovery gives the shard a state. */
    private ServingMode mode;
    private ActorRef<Reply> initReplyTo;

    private ShardPrimary(ActorContext<Command> context, StashBuffer<Command> stash, BackupLink backup,
            String entityId) {
        this.context = context;
        this.stash = stash;
        this.entityId = entityId;
        this.backup = backup;
        this.modes = new ServingModes(context, backup);
        int at = entityId.lastIndexOf("-shard-");
        this.jobId = at < 0 ? entityId : entityId.substring(0, at);
        this.shardIndex = at < 0 ? 0 : Integer.parseInt(entityId.substring(at + 7));
    }

    static Behavior<Command> create(String entityId, ShardSettings settings) {
        return Behaviors.withStash(settings.stashCapacity(), stash -> Behaviors.withTimers(timers ->
                Behaviors.setup(ctx -> {
                    ctx.setLoggerName(ParameterShard.class); // one logger for the shard and its helpers, as before
                    return new ShardPrimary(ctx, stash, new BackupLink(ctx, timers, settings, entityId), entityId).idle();
                })));
    }

    /** No state yet: Init or Seed starts the shard; work means it is a primary re-created after a crash. */
    private Behavior<Command> idle() {
        return rest(common()
                .onMessage(Init.class, this::onInit)
                .onMessage(Seed.class, this::onSeed)
                .onMessage(BackupReady.class, this::onStrayBackup), this::startRecovery);
    }

    /** Work waits (stashed) until a backup on another node holds the state. */
    private Behavior<Command> placingBackup() {
        return rest(common()
                .onMessage(Seed.class, this::stashIt)
                .onMessage(HostsListed.class, this::onHostsForPlacement)
                .onMessage(FindHostsAgain.class, this::onFindHostsAgain)
                .onMessage(BackupReady.class, this::onBackupReady), this::stashIt);
    }

    /** A re-created primary asks the hosts for its backup; work waits (stashed) until it has adopted its state. */
    private Behavior<Command> recovering() {
        return rest(common()
                .onMessage(Seed.class, this::stashIt)
                .onMessage(HostsListed.class, this::onHostsForRecovery)
                .onMessage(FindHostsAgain.class, this::onFindHostsAgain)
                .onMessage(BackupState.class, this::onBackupState)
                .onMessage(NoBackup.class, this::onNoBackup)
                .onMessage(BackupReady.class, this::onStrayBackup), this::stashIt);
    }

    /** Work is served by the mode of the strategy in force; a pending switch is retried after it. */
    private Behavior<Command> serving() {
        return rest(common()
                .onMessage(Push.class, p -> thenTrySwitch(() -> mode.push(p)))
                .onMessage(SspPush.class, p -> thenTrySwitch(() -> mode.sspPush(p)))
                .onMessage(SspPull.class, p -> thenTrySwitch(() -> mode.sspPull(p)))
                .onMessage(GetSspProgress.class, g -> thenTrySwitch(() -> mode.progress(g)))
                .onMessage(Pull.class, p -> read(() -> mode.pull(p)))
                .onMessage(GetSnapshot.class, g -> read(() -> mode.snapshot(g)))
                .onMessage(GetVersion.class, g -> read(() -> mode.version(g)))
                .onMessage(SwitchStrategy.class, this::onSwitchStrategy)
                .onMessage(Init.class, this::onInitAgain)
                .onMessage(Seed.class, this::onSeedOwned)
                .onMessage(BackupAck.class, this::onBackupAck)
                .onMessage(SspBackupAck.class, this::onSspBackupAck)
                .onMessage(BackupGone.class, this::onBackupGone)
                .onMessage(BackupStalled.class, this::onBackupStalled)
                .onMessage(BackupReady.class, this::onStrayBackup), this::ignore);
    }

    /** Primary and backup are gone: reads are answered {@link Lost}; only a Seed brings the shard back. */
    private Behavior<Command> lost() {
        return rest(common()
                .onMessage(Pull.class, p -> refuse(p.replyTo()))
                .onMessage(GetVersion.class, g -> refuse(g.replyTo()))
                .onMessage(GetSnapshot.class, g -> refuse(g.replyTo()))
                .onMessage(Seed.class, this::onSeedOwned)
                .onMessage(BackupReady.class, this::onStrayBackup), this::ignore);
    }

    /** The first entry of every table: Release stops the shard. */
    private BehaviorBuilder<Command> common() {
        return Behaviors.receive(Command.class).onMessage(Release.class, this::onRelease);
    }

    /**
     * Ends a table: work not routed above goes to {@code work}; every other message not routed
     * above (an Init, replication, timer ticks) is ignored in this state. First match wins.
     */
    private Behavior<Command> rest(BehaviorBuilder<Command> table,
            org.apache.pekko.japi.function.Function<Command, Behavior<Command>> work) {
        return table.onMessage(Pull.class, work::apply).onMessage(Push.class, work::apply)
                .onMessage(GetSnapshot.class, work::apply).onMessage(GetVersion.class, work::apply)
                .onMessage(SspPull.class, work::apply).onMessage(SspPush.class, work::apply)
                .onMessage(GetSspProgress.class, work::apply).onMessage(SwitchStrategy.class, work::apply)
                .onMessage(Init.class, this::ignore)
                .onMessage(Replication.class, this::ignore)
                .onMessage(Internal.class, this::ignore)
                .build();
    }

    private Behavior<Command> onInit(Init init) {
        jobId = init.jobId();
        shardIndex = init.shardIndex();
        ShardSpec spec = new ShardSpec(entityId, jobId, shardIndex, init.optimizer(), init.microBatches());
        mode = modes.steps(spec, new BspShardState(init.params(), init.optimizerState(), init.optimizer(),
                init.microBatches(), init.version()));
        initReplyTo = init.replyTo();
        return placeBackup();
    }

    /** Idempotent: a repeated Init for the job is acknowledged without resetting state. */
    private Behavior<Command> onInitAgain(Init init) {
        if (init.jobId().equals(jobId)) init.replyTo().tell(new Initialized(jobId, shardIndex, version()));
        return Behaviors.same();
    }

    private Behavior<Command> onSeedOwned(Seed seed) {
        return owns(seed.jobId()) ? onSeed(seed) : Behaviors.same();
    }

    /** A seed is a ps-bsp state; a new backup starts from it (the old one stays until the new one exists). */
    private Behavior<Command> onSeed(Seed seed) {
        jobId = seed.jobId();
        shardIndex = seed.shardIndex();
        ShardSpec spec = new ShardSpec(entityId, jobId, shardIndex, seed.optimizer(), seed.microBatches());
        BspServing next = modes.steps(spec, BspShardState.restore(seed.state(), seed.optimizer(), seed.microBatches()));
        if (mode != null) mode.handOverOnSeed(next);
        mode = next;
        initReplyTo = seed.replyTo();
        return placeBackup();
    }

    private Behavior<Command> startRecovery(Command first) {
        context.getLog().warn("{}: started without state; recovering it from the backup", entityId);
        stash.stash(first);
        backup.findHosts();
        return recovering();
    }

    /** Asks the hosts for a new backup on another node; work waits (stashed) until it exists. */
    private Behavior<Command> placeBackup() {
        backup.findHosts();
        return placingBackup();
    }

    private Behavior<Command> onFindHostsAgain(FindHostsAgain again) {
        backup.findHosts();
        return Behaviors.same();
    }

    private Behavior<Command> onHostsForPlacement(HostsListed msg) {
        return backup.place(msg.listing(), mode::image) ? becomeServing() : Behaviors.same();
    }

    private Behavior<Command> onBackupReady(BackupReady ready) {
        backup.placed(ready.backup(), version());
        return becomeServing();
    }

    /** A backup this primary no longer waits for (placed twice, or after it stopped placing): stop it. */
    private Behavior<Command> onStrayBackup(BackupReady ready) {
        ready.backup().tell(new ShardBackup.Stop());
        return Behaviors.same();
    }

    private Behavior<Command> onHostsForRecovery(HostsListed msg) {
        return backup.askForBackup(msg.listing()) ? Behaviors.same() : lose("no backup host is reachable");
    }

    private Behavior<Command> onNoBackup(NoBackup msg) {
        if (!backup.noBackupAt(msg.host())) return Behaviors.same();
        return lose("neither the primary nor a backup of " + entityId + " survived");
    }

    private Behavior<Command> onBackupState(BackupState msg) {
        ShardImage img = msg.image();
        mode = modes.recovered(new ShardSpec(entityId, jobId, shardIndex, img.optimizer(), img.microBatches()), img);
        context.getLog().warn("{}: recovered version {} from the backup at {}", entityId, version(),
                msg.backup().path().address());
        if (msg.backup().path().address().hasLocalScope()) {
            // The backup shares our node now: put a new one elsewhere, then stop this one (once the new
            // one exists). Left running, it stayed at this version and a later recovery of this shard
            // could adopt it: the chaos rolling restart rewound a shard from step 211 to 32 that way.
            backup.keepUntilReplaced(msg.backup());
            return placeBackup();
        }
        backup.adopt(msg.backup(), version());
        return becomeServing();
    }

    /** The backup exists (or cannot): answer the Init or Seed, release what waited for it, serve the stash. */
    private Behavior<Command> becomeServing() {
        backup.stopLooking();
        if (initReplyTo != null) {
            initReplyTo.tell(new Initialized(jobId, shardIndex, version()));
            initReplyTo = null;
        }
        mode.backupPlaced();
        return stash.unstashAll(serving());
    }

    private Behavior<Command> lose(String reason) {
        context.getLog().error("{}: shard lost: {}", entityId, reason);
        backup.stopLooking();
        return stash.unstashAll(lost());
    }

    private Behavior<Command> refuse(ActorRef<Reply> replyTo) {
        replyTo.tell(new Lost(jobId, shardIndex, "shard " + shardIndex
                + " lost its primary and backup; resume the job from a checkpoint"));
        return Behaviors.same();
    }

    private Behavior<Command> onRelease(Release release) {
        if (!release.jobId().equals(jobId)) return Behaviors.same();
        context.getLog().debug("{}: released at version {}", entityId, mode == null ? -1 : version());
        backup.drop();
        return Behaviors.stopped();
    }

    private Behavior<Command> thenTrySwitch(Runnable work) {
        work.run();
        trySwitch();
        return Behaviors.same();
    }

    private Behavior<Command> read(Runnable read) {
        read.run();
        if (mode.checksSwitchOnReads()) trySwitch();
        return Behaviors.same();
    }

    private Behavior<Command> onSwitchStrategy(SwitchStrategy sw) {
        if (owns(sw.jobId())) {
            modeSwitch.request(sw);
            trySwitch();
        }
        return Behaviors.same();
    }

    private void trySwitch() {
        mode = modeSwitch.tryApply(mode, modes, context.getLog());
    }

    private Behavior<Command> onBackupAck(BackupAck ack) {
        if (ack.jobId().equals(jobId) && backup.acked(ack.version())) mode.backupAcked();
        return Behaviors.same();
    }

    private Behavior<Command> onSspBackupAck(SspBackupAck ack) {
        if (ack.jobId().equals(jobId) && mode.sspBackupAcked(ack)) trySwitch();
        return Behaviors.same();
    }

    private Behavior<Command> onBackupGone(BackupGone gone) {
        return backup.lost(gone.backup()) ? placeBackup() : Behaviors.same();
    }

    private Behavior<Command> onBackupStalled(BackupStalled stalled) {
        return backup.stalled(stalled.version(), version()) ? placeBackup() : Behaviors.same();
    }

    /** The ps-bsp version (frozen at the switch under ps-ssp / ps-asp): what Initialized reports and a new backup acknowledges. */
    private long version() {
        return mode.stepState().version();
    }

    private Behavior<Command> stashIt(Command msg) {
        stash.stash(msg);
        return Behaviors.same();
    }

    private Behavior<Command> ignore(Command msg) {
        return Behaviors.same();
    }

    private boolean owns(String job) {
        if (job.equals(jobId)) return true;
        context.getLog().warn("{}: dropping message for job {} (holding {})", entityId, job, jobId);
        return false;
    }
}
