package io.flock.actors.shard;

import io.flock.strategies.Strategy;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.strategies.SspClock;
import io.flock.tensor.optim.OptimizerSpec;
import io.flock.tensor.wire.TensorChecksum;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Cluster Sharding entity owning one contiguous slice of a job's parameters and optimizer
 * state: the primary of the shard. A thin actor over {@link BspShardState}: it applies a step
 * once all micro-batch gradients are in and answers pulls for a version once that version
 * exists (pulls for a future version wait here, which is what makes workers proceed in
 * lock-step).
 *
 * <p>Replication: on {@link Init} the primary has a {@link BackupHost} on another node create
 * its {@link ShardBackup}, forwards every accepted gradient to it, and serves version v only
 * once the backup acknowledged v — an acknowledged step survives the primary's node. When that
 * node dies, sharding re-creates the entity elsewhere; its first message is then not an Init,
 * so it stashes messages, finds its backup through the hosts, adopts the backup's state and
 * makes sure a backup lives on another node again. See docs/replication.md.
 *
 * <p>Under ps-ssp / ps-asp ({@link SwitchStrategy}) the shard applies each gradient on arrival and
 * gates reads on the clock: {@link SspShardMode}, see docs/protocol-ps-ssp.md.
 */
public final class ParameterShard extends AbstractBehavior<ParameterShard.Command> {

    /** The sharded entity type; entity ids come from {@link #entityId(String, int)}. */
    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ParameterShard");

    /** Messages a shard accepts. */
    public sealed interface Command extends FlockMessage {}

    /**
     * Seeds the shard with its slice. Idempotent: a repeated Init for the same job and version is
     * acknowledged without resetting state.
     */
    public record Init(String jobId, int shardIndex, INDArray params, INDArray optimizerState,
            OptimizerSpec optimizer, int microBatches, long version, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Asks for the parameters at {@code version}; answered once the shard has reached it.
     * {@code requestId} is echoed so the asker can ignore answers to requests it superseded.
     */
    public record Pull(String jobId, long version, long requestId, ActorRef<Reply> replyTo) implements Command {}

    /**
     * The gradient slice of micro-batch {@code microBatch} of step {@code step}, with the CRC32C
     * of its elements taken by the sender right after computing it. A shard (and its backup)
     * recomputes it before accepting the push and drops a push whose bytes changed on the way;
     * the worker's re-push after a stalled pull sends it again.
     */
    public record Push(String jobId, long step, int microBatch, INDArray gradient, long checksum) implements Command {
        /** A push checksummed now, over the gradient as it is. */
        public Push(String jobId, long step, int microBatch, INDArray gradient) {
            this(jobId, step, microBatch, gradient, TensorChecksum.of(gradient));
        }

        /** True when the gradient still has the elements the sender checksummed. */
        public boolean intact() {
            return TensorChecksum.of(gradient) == checksum;
        }
    }

    /**
     * Asks for parameters, optimizer state and applied-step log at exactly {@code atVersion}: held
     * until the shard reaches it, so snapshots from all shards form one consistent state without
     * pausing training. A shard already past it answers with its current version (the asker
     * treats that as missed and asks again for a later version).
     */
    public record GetSnapshot(String jobId, long atVersion, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Replaces the shard's state with a slice of a peer-to-peer replica (ring/tree → shards, at a
     * step boundary, or a copy at an epoch end or checkpoint while ring/tree trains). Carries the
     * replica's applied-step log. Answered with {@link Initialized} once a backup holds it too.
     */
    public record Seed(String jobId, int shardIndex, BspShardState.Exported state, OptimizerSpec optimizer,
            int microBatches, ActorRef<Reply> replyTo) implements Command {}

    /** Asks for the number of steps this shard has applied. */
    public record GetVersion(String jobId, ActorRef<Reply> replyTo) implements Command {}

    /** The job is over: drop the state and stop. */
    public record Release(String jobId) implements Command {}

    /** From a {@link BackupHost}: the backup this primary asked for exists. */
    public record BackupReady(String jobId, ActorRef<ShardBackup.Command> backup) implements Command {}

    /** From the backup: it has applied every step below {@code version}. */
    public record BackupAck(String jobId, long version) implements Command {}

    /** From a backup handing its state to a re-created primary. */
    public record BackupState(ShardImage image, ActorRef<ShardBackup.Command> backup) implements Command {}

    /** From a {@link BackupHost} that holds no backup of {@code entityId}. */
    public record NoBackup(String entityId, ActorRef<BackupHost.Command> host) implements Command {}

    /**
     * Under ps-ssp / ps-asp: the parameters to compute clock {@code clock} on, answered (with the
     * current parameters) once every clock below {@code clock - s} is whole here and on the backup;
     * under ps-asp at once. {@code requestId} is echoed.
     */
    public record SspPull(String jobId, long clock, long requestId, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Under ps-ssp / ps-asp: the gradient slice of micro-batch {@code microBatch} computed at
     * {@code clock}, applied on arrival (once per (clock, micro-batch)) and answered with
     * {@link SspAcked} once the backup holds it.
     */
    public record SspPush(String jobId, long clock, int microBatch, INDArray gradient, ActorRef<Reply> replyTo)
            implements Command {}

    /** From the backup under ps-ssp / ps-asp: it applied every gradient up to number {@code seq}; {@code complete} is its clock. */
    public record SspBackupAck(String jobId, long seq, long complete) implements Command {}

    /**
     * Under ps-ssp / ps-asp: the shard's progress (and, with {@code withParams}, its parameters)
     * once every clock below {@code atClock} is whole here and on the backup.
     */
    public record GetSspProgress(String jobId, long atClock, boolean withParams, ActorRef<Reply> replyTo)
            implements Command {}

    /**
     * Switch the update rule to {@code strategy} (ps-bsp, ps-ssp with bound {@code staleness},
     * ps-asp) at clock (= version) {@code atClock}. Takes effect once the shard is exactly there
     * with nothing in flight (BSP: no gradient of an unapplied step; SSP: every applied clock whole
     * and held by the backup), converting state, optimizer state and clock; the backup switches
     * too. Answered {@link StrategySwitched}, or {@link SwitchRefused} when the shard is already
     * past {@code atClock}. Between ps-ssp and ps-asp only the bound changes, at once.
     */
    public record SwitchStrategy(String jobId, Strategy strategy, int staleness, long atClock,
            ActorRef<Reply> replyTo) implements Command {}

    private record HostsListed(Receptionist.Listing listing) implements Command {}

    private record BackupGone(ActorRef<ShardBackup.Command> backup) implements Command {}

    private record FindHostsAgain() implements Command {}

    private record BackupStalled(long version) implements Command {}

    private static final Object BACKUP_STALL_KEY = "backup-stall";

    /** How long a backup may lag a version before it is replaced (see {@link #onBackupStalled}). */
    private static final java.time.Duration BACKUP_STALL = java.time.Duration.ofSeconds(10);

    /** Replies of a shard. */
    public sealed interface Reply extends FlockMessage {
        String jobId();

        int shardIndex();
    }

    public record Initialized(String jobId, int shardIndex, long version) implements Reply {}

    /** This shard has applied steps 0..version-1. */
    public record Version(String jobId, int shardIndex, long version) implements Reply {}

    /** Parameters at {@code version}: the state after steps 0..version-1; answers request {@code requestId}. */
    public record Pulled(String jobId, int shardIndex, long version, long requestId, INDArray params)
            implements Reply {}

    public record Snapshot(String jobId, int shardIndex, long version, INDArray params, INDArray optimizerState,
            long[] appliedSteps) implements Reply {}

    /** The shard's primary and backup are both gone: the job cannot go on (resume from a checkpoint). */
    public record Lost(String jobId, int shardIndex, String reason) implements Reply {}

    /** Answers {@link SspPull} {@code requestId}: the parameters to compute {@code clock} on. */
    public record SspPulled(String jobId, int shardIndex, long clock, long requestId, INDArray params)
            implements Reply {}

    /** The gradient of ({@code clock}, {@code microBatch}) is applied here and held by the backup. */
    public record SspAcked(String jobId, int shardIndex, long clock, int microBatch) implements Reply {}

    /**
     * A shard's ps-ssp / ps-asp progress: its state started at {@code firstClock}; clocks below
     * {@code complete} are whole; {@code appliedAbove} lists the (clock·M + m) keys applied at or
     * above it; {@code applied} distinct gradients, {@code acknowledged} pushes answered
     * (duplicates included); {@code recovered}: this primary adopted its backup's state.
     * {@code params} only when asked for.
     */
    public record SspProgress(String jobId, int shardIndex, long atClock, long firstClock, long complete,
            long[] appliedAbove, long applied, long acknowledged, long maxStaleness, boolean recovered,
            INDArray params) implements Reply {}

    /** The shard (and its backup) run {@code strategy} from clock {@code clock} on. */
    public record StrategySwitched(String jobId, int shardIndex, Strategy strategy, long clock) implements Reply {}

    /** A {@link SwitchStrategy} that cannot take effect. */
    public record SwitchRefused(String jobId, int shardIndex, String reason) implements Reply {}

    private enum Mode { EMPTY, PLACING_BACKUP, RECOVERING, READY, LOST }

    private static final int STASH = 10_000;

    /** How long to wait for a backup host's answer before looking for hosts again. */
    private static final java.time.Duration RETRY = java.time.Duration.ofSeconds(2);

    private final ActorContext<Command> context;
    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final String entityId;
    private final ActorRef<Receptionist.Listing> hostListings;
    private final List<Pull> waitingPulls = new ArrayList<>();
    private final List<GetSnapshot> waitingSnapshots = new ArrayList<>();
    private Mode mode = Mode.EMPTY;
    private String jobId;
    private int shardIndex;
    private OptimizerSpec optimizer;
    private int microBatches;
    private BspShardState state;
    private ActorRef<Reply> initReplyTo;
    private ActorRef<ShardBackup.Command> backup;
    private long backupVersion;
    /** While recovering: the live hosts asked in the latest round, and those that hold no backup. */
    private List<ActorRef<BackupHost.Command>> askedHosts = List.of();
    private final java.util.Set<ActorRef<BackupHost.Command>> withoutBackup = new java.util.HashSet<>();
    private boolean warnedNoRedundancy;
    /** Under ps-ssp / ps-asp the live state (then {@link #state} is the BSP state frozen at the switch); null under ps-bsp. */
    private SspShardMode ssp;
    /** A strategy switch waiting for its clock. */
    private SwitchStrategy pendingSwitch;

    private ParameterShard(ActorContext<Command> context, StashBuffer<Command> stash, TimerScheduler<Command> timers,
            String entityId) {
        super(context);
        this.context = context;
        this.stash = stash;
        this.timers = timers;
        this.entityId = entityId;
        this.hostListings = context.messageAdapter(Receptionist.Listing.class, HostsListed::new);
        int at = entityId.lastIndexOf("-shard-");
        this.jobId = at < 0 ? entityId : entityId.substring(0, at);
        this.shardIndex = at < 0 ? 0 : Integer.parseInt(entityId.substring(at + 7));
    }

    public static Behavior<Command> create(String entityId) {
        return Behaviors.withStash(STASH, stash -> Behaviors.withTimers(timers ->
                Behaviors.setup(ctx -> new ParameterShard(ctx, stash, timers, entityId))));
    }

    /** Cluster role of nodes that host shards (see {@code flock.node.host-shards}). */
    public static final String ROLE = "shard";

    /** Registers the entity type on this node; call once per node at startup. */
    public static void initSharding(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId())).withRole(ROLE));
    }

    /** The entity id of shard {@code index} of job {@code jobId}. */
    public static String entityId(String jobId, int index) {
        return jobId + "-shard-" + index;
    }

    /** A reference to shard {@code index} of job {@code jobId}, wherever it lives. */
    public static EntityRef<Command> ref(ActorSystem<?> system, String jobId, int index) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, entityId(jobId, index));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Init.class, this::onInit)
                .onMessage(HostsListed.class, this::onHostsListed)
                .onMessage(FindHostsAgain.class, again -> {
                    if (mode == Mode.PLACING_BACKUP || mode == Mode.RECOVERING) findHosts();
                    return this;
                })
                .onMessage(BackupReady.class, this::onBackupReady)
                .onMessage(BackupState.class, this::onBackupState)
                .onMessage(NoBackup.class, this::onNoBackup)
                .onMessage(BackupAck.class, this::onBackupAck)
                .onMessage(BackupGone.class, this::onBackupGone)
                .onMessage(SspBackupAck.class, this::onSspBackupAck)
                .onMessage(Release.class, this::onRelease)
                .onMessage(Seed.class, this::onSeed)
                .onMessage(BackupStalled.class, this::onBackupStalled)
                .onAnyMessage(this::onWork)
                .build();
    }

    /** Pulls, pushes, snapshots and version queries: served when ready, stashed while not. */
    private Behavior<Command> onWork(Command msg) {
        switch (mode) {
            case READY -> serve(msg);
            case LOST -> refuse(msg);
            case EMPTY -> {
                // Not initialised but asked for work: we are a primary re-created after a crash.
                context.getLog().warn("{}: started without state; recovering it from the backup", entityId);
                mode = Mode.RECOVERING;
                stash.stash(msg);
                findHosts();
            }
            default -> stash.stash(msg);
        }
        return this;
    }

    private void serve(Command msg) {
        if (serveSwitchOrSsp(msg)) return;
        if (msg instanceof Push p) onPush(p);
        else if (msg instanceof Pull p) onPull(p);
        else if (msg instanceof GetSnapshot g) onGetSnapshot(g);
        else if (msg instanceof GetVersion g) onGetVersion(g);
    }

    private Behavior<Command> onInit(Init init) {
        if (mode != Mode.EMPTY) {
            if (init.jobId().equals(jobId) && mode == Mode.READY) init.replyTo().tell(new Initialized(jobId, shardIndex, state.version()));
            return this;
        }
        jobId = init.jobId();
        shardIndex = init.shardIndex();
        optimizer = init.optimizer();
        microBatches = init.microBatches();
        adopt(new BspShardState(init.params(), init.optimizerState(), optimizer, microBatches, init.version()));
        initReplyTo = init.replyTo();
        placeBackup();
        return this;
    }

    private Behavior<Command> onSeed(Seed seed) {
        if (mode == Mode.PLACING_BACKUP || mode == Mode.RECOVERING) {
            stash.stash(seed);
            return this;
        }
        if (mode != Mode.EMPTY && !owns(seed.jobId())) return this;
        jobId = seed.jobId();
        shardIndex = seed.shardIndex();
        optimizer = seed.optimizer();
        microBatches = seed.microBatches();
        adopt(BspShardState.restore(seed.state(), optimizer, microBatches));
        ssp = null; // a seed is a ps-bsp state
        initReplyTo = seed.replyTo();
        // A new backup starts from this image; the old one stays until it exists (then it is dropped).
        placeBackup();
        return this;
    }

    private void adopt(BspShardState s) {
        state = s;
        state.onVersion(this::answerWaitingSnapshots);
    }

    /** Asks the hosts for a new backup on another node; work waits (stashed) until it exists. */
    private void placeBackup() {
        mode = Mode.PLACING_BACKUP;
        findHosts();
    }

    private void findHosts() {
        context.getSystem().receptionist().tell(Receptionist.find(BackupHost.SERVICE_KEY, hostListings));
    }

    private Behavior<Command> onHostsListed(HostsListed msg) {
        // Only hosts on reachable Up members: the listing can still name a node that just died.
        var live = liveMembers();
        List<ActorRef<BackupHost.Command>> hosts = msg.listing().getServiceInstances(BackupHost.SERVICE_KEY).stream()
                .filter(h -> h.path().address().hasLocalScope() || live.contains(h.path().address()))
                .sorted(java.util.Comparator.comparing(h -> h.path().toString())).toList();
        // Whatever we asked may go unanswered (a host dying now): look again unless an answer cancels this.
        timers.startSingleTimer(new FindHostsAgain(), RETRY);
        if (mode == Mode.RECOVERING) {
            askedHosts = hosts;
            if (hosts.isEmpty()) return lose("no backup host is reachable");
            hosts.forEach(h -> h.tell(new BackupHost.FindBackup(entityId, context.getSelf())));
        } else if (mode == Mode.PLACING_BACKUP) {
            List<ActorRef<BackupHost.Command>> remote = hosts.stream()
                    .filter(h -> !h.path().address().hasLocalScope()).toList();
            context.getLog().debug("{}: placing a backup; live hosts {}, remote {}, listed {}", entityId, hosts.size(),
                    remote.size(), msg.listing().getServiceInstances(BackupHost.SERVICE_KEY));
            if (remote.isEmpty() && otherShardNodes() > 0) {
                // Their hosts are not in our receptionist view yet (it spreads by gossip): look again soon.
                timers.startSingleTimer(new FindHostsAgain(), java.time.Duration.ofMillis(200));
            } else if (remote.isEmpty()) {
                if (!warnedNoRedundancy) {
                    warnedNoRedundancy = true; // once: ring/tree re-seed the shard every epoch
                    context.getLog().warn("{}: NO REDUNDANCY: no other shard node to hold a backup; losing this "
                            + "node loses the shard (resume from a checkpoint)", entityId);
                }
                dropBackup();
                return ready();
            } else {
                remote.get(Math.floorMod(entityId.hashCode(), remote.size()))
                        .tell(new BackupHost.HostBackup(entityId, image(), context.getSelf()));
            }
        }
        return this;
    }

    /** Addresses of Up members that no one sees as unreachable. */
    private java.util.Set<org.apache.pekko.actor.Address> liveMembers() {
        var state = org.apache.pekko.cluster.typed.Cluster.get(context.getSystem()).state();
        java.util.Set<org.apache.pekko.actor.Address> live = new java.util.HashSet<>();
        for (var m : state.getMembers()) {
            if (m.status() == org.apache.pekko.cluster.MemberStatus.up() && !state.getUnreachable().contains(m)) {
                live.add(m.address());
            }
        }
        return live;
    }

    /** Up members other than this one that host shards. */
    private long otherShardNodes() {
        var cluster = org.apache.pekko.cluster.typed.Cluster.get(context.getSystem());
        var self = cluster.selfMember().address();
        long n = 0;
        for (var m : cluster.state().getMembers()) {
            if (m.hasRole(ROLE) && m.status() == org.apache.pekko.cluster.MemberStatus.up() && !m.address().equals(self)) n++;
        }
        return n;
    }

    private ShardImage image() {
        return new ShardImage(jobId, shardIndex, optimizer, microBatches, state.export())
                .withSsp(ssp == null ? null : ssp.image());
    }

    private Behavior<Command> onBackupReady(BackupReady ready) {
        if (mode != Mode.PLACING_BACKUP) {
            ready.backup().tell(new ShardBackup.Stop());
            return this;
        }
        dropBackup();
        backup = ready.backup();
        backupVersion = state.version();
        context.watchWith(backup, new BackupGone(backup));
        ready();
        return this;
    }

    private Behavior<Command> ready() {
        mode = Mode.READY;
        timers.cancel(new FindHostsAgain());
        if (initReplyTo != null) {
            initReplyTo.tell(new Initialized(jobId, shardIndex, state.version()));
            initReplyTo = null;
        }
        answerWaitingSnapshots(state.version()); // a seed may have moved the version past them
        answerWaitingPulls();
        if (ssp != null) ssp.backupPlaced();
        return stash.unstashAll(this);
    }

    private Behavior<Command> onBackupState(BackupState msg) {
        if (mode != Mode.RECOVERING) return this;
        ShardImage img = msg.image();
        optimizer = img.optimizer();
        microBatches = img.microBatches();
        adopt(BspShardState.restore(img.state(), optimizer, microBatches));
        adoptSsp(img);
        context.getLog().warn("{}: recovered version {} from the backup at {}", entityId, state.version(),
                msg.backup().path().address());
        if (msg.backup().path().address().hasLocalScope()) {
            // The backup shares our node now: put a new one elsewhere, then stop this one
            // (onBackupReady drops `backup`). Left running, it stayed at this version and a later
            // recovery of this shard could adopt it: the chaos rolling restart rewound a shard from
            // step 211 to 32 that way.
            backup = msg.backup();
            placeBackup();
        } else {
            backup = msg.backup();
            backupVersion = state.version();
            context.watchWith(backup, new BackupGone(backup));
            return ready();
        }
        return this;
    }

    private Behavior<Command> onNoBackup(NoBackup msg) {
        if (mode != Mode.RECOVERING) return this;
        withoutBackup.add(msg.host());
        if (withoutBackup.containsAll(askedHosts)) {
            return lose("neither the primary nor a backup of " + entityId + " survived");
        }
        return this;
    }

    private Behavior<Command> lose(String reason) {
        context.getLog().error("{}: shard lost: {}", entityId, reason);
        timers.cancel(new FindHostsAgain());
        mode = Mode.LOST;
        return stash.unstashAll(this);
    }

    private void refuse(Command msg) {
        String reason = "shard " + shardIndex + " lost its primary and backup; resume the job from a checkpoint";
        if (msg instanceof Pull p) p.replyTo().tell(new Lost(jobId, shardIndex, reason));
        else if (msg instanceof GetVersion g) g.replyTo().tell(new Lost(jobId, shardIndex, reason));
        else if (msg instanceof GetSnapshot g) g.replyTo().tell(new Lost(jobId, shardIndex, reason));
    }

    private Behavior<Command> onBackupAck(BackupAck ack) {
        if (mode != Mode.READY || !ack.jobId().equals(jobId) || ack.version() <= backupVersion) return this;
        backupVersion = ack.version();
        answerWaitingPulls();
        return this;
    }

    private Behavior<Command> onBackupGone(BackupGone gone) {
        if (gone.backup().equals(backup) && mode == Mode.READY) {
            context.getLog().warn("{}: backup on {} is gone; placing a new one", entityId, gone.backup().path().address());
            backup = null;
            placeBackup();
        }
        return this;
    }

    private void dropBackup() {
        if (backup != null) {
            context.unwatch(backup);
            backup.tell(new ShardBackup.Stop());
            backup = null;
        }
    }

    private void onPush(Push push) {
        if (!owns(push.jobId())) return;
        if (!push.intact()) {
            refuseCorrupt(context, entityId, push);
            return;
        }
        long current = state.version();
        BspShardState.Outcome outcome = state.push(push.step(), push.microBatch(), push.gradient());
        if (outcome != BspShardState.Outcome.DUPLICATE) {
            FlockMetrics.get(context.getSystem()).metrics().recordStaleness(Math.max(0, current - push.step()));
        }
        if (outcome != BspShardState.Outcome.DUPLICATE && backup != null) backup.tell(new ShardBackup.Replicate(push));
        if (outcome == BspShardState.Outcome.APPLIED) {
            answerWaitingPulls();
            if (backup != null && !timers.isTimerActive(BACKUP_STALL_KEY)) {
                timers.startSingleTimer(BACKUP_STALL_KEY, new BackupStalled(state.version()), BACKUP_STALL);
            }
        }
    }

    /**
     * The backup has not acknowledged {@code version} in {@link #BACKUP_STALL}: Artery delivers at
     * most once, so a replicated gradient may have been lost with a broken connection (the backup
     * would then never reach the version and pulls would wait forever). Place a fresh backup from
     * the current state; the old one is dropped once the new one exists.
     */
    private Behavior<Command> onBackupStalled(BackupStalled stalled) {
        if (mode != Mode.READY || backup == null || backupVersion >= stalled.version()) {
            if (mode == Mode.READY && backup != null && backupVersion < state.version()) {
                timers.startSingleTimer(BACKUP_STALL_KEY, new BackupStalled(state.version()), BACKUP_STALL);
            }
            return this;
        }
        context.getLog().warn("{}: backup acknowledged version {} but not {} within {} s; placing a fresh one from "
                + "the current state", entityId, backupVersion, stalled.version(), BACKUP_STALL.toSeconds());
        placeBackup();
        return this;
    }

    /** Logs and counts a push whose gradient no longer matches its checksum; the caller drops it. */
    static void refuseCorrupt(ActorContext<?> ctx, String who, Push push) {
        FlockMetrics.get(ctx.getSystem()).metrics().serializationError();
        ctx.getLog().error("{}: dropped the gradient of step {} micro-batch {}: its {} elements changed after the worker "
                + "computed them (CRC32C {} expected, {} found); the worker sends it again", who, push.step(),
                push.microBatch(), push.gradient().length(), Long.toHexString(push.checksum()),
                Long.toHexString(TensorChecksum.of(push.gradient())));
    }

    /** The newest version that is safe to hand out: applied here and, with a backup, there too. */
    private long servable() {
        return backup == null ? state.version() : Math.min(state.version(), backupVersion);
    }

    private void onPull(Pull pull) {
        if (!owns(pull.jobId())) return;
        if (pull.version() > servable()) {
            waitingPulls.add(pull);
        } else if (state.paramsAt(pull.version()) != null) {
            pull.replyTo().tell(new Pulled(jobId, shardIndex, pull.version(), pull.requestId(),
                    state.paramsAt(pull.version()).dup()));
        } else {
            // Too old to serve: answer with what we have; the worker skips ahead.
            pull.replyTo().tell(new Pulled(jobId, shardIndex, servable(), pull.requestId(),
                    state.paramsAt(servable()).dup()));
        }
    }

    private void onGetSnapshot(GetSnapshot get) {
        if (!owns(get.jobId())) return;
        if (get.atVersion() > state.version()) waitingSnapshots.add(get);
        else get.replyTo().tell(snapshot());
    }

    /** Runs inside the step application: the state is exactly at {@code version} right now. */
    private void answerWaitingSnapshots(long version) {
        for (Iterator<GetSnapshot> it = waitingSnapshots.iterator(); it.hasNext(); ) {
            GetSnapshot get = it.next();
            if (get.atVersion() <= version) {
                get.replyTo().tell(snapshot());
                it.remove();
            }
        }
    }

    private Snapshot snapshot() {
        long[] applied = state.appliedSteps().stream().mapToLong(Long::longValue).toArray();
        return new Snapshot(jobId, shardIndex, state.version(), state.params().dup(), state.optimizerState().dup(),
                applied);
    }

    private void onGetVersion(GetVersion get) {
        if (owns(get.jobId())) get.replyTo().tell(new Version(jobId, shardIndex, state.version()));
    }

    private Behavior<Command> onRelease(Release release) {
        if (!release.jobId().equals(jobId)) return this;
        context.getLog().debug("{}: released at version {}", entityId, state == null ? -1 : state.version());
        dropBackup();
        return Behaviors.stopped();
    }

    private void answerWaitingPulls() {
        long servable = servable();
        List<Pull> ready = new ArrayList<>();
        for (Iterator<Pull> it = waitingPulls.iterator(); it.hasNext(); ) {
            Pull p = it.next();
            if (p.version() <= servable) {
                ready.add(p);
                it.remove();
            }
        }
        ready.forEach(this::onPull);
    }

    /** Strategy switches, and all work while in ps-ssp / ps-asp; false leaves {@code msg} to the ps-bsp handlers. */
    private boolean serveSwitchOrSsp(Command msg) {
        if (msg instanceof SwitchStrategy sw) {
            if (!owns(sw.jobId())) return true;
            pendingSwitch = sw;
        } else if (ssp != null) {
            if (!ssp.serve(msg)) return false;
        } else if (msg instanceof SspPull || msg instanceof SspPush || msg instanceof GetSspProgress) {
            context.getLog().warn("{}: {} while in ps-bsp; dropped", entityId, msg.getClass().getSimpleName());
        } else if (pendingSwitch != null && msg instanceof Push push) {
            onPush(push);
        } else {
            return false;
        }
        trySwitch();
        return true;
    }

    /** Applies the pending switch once the shard is exactly at its clock with nothing in flight; refuses it when past. */
    private void trySwitch() {
        SwitchStrategy sw = pendingSwitch;
        if (sw == null) return;
        boolean toSsp = sw.strategy().appliesOnArrival();
        int bound = sw.strategy() == Strategy.PS_ASP ? SspClock.ASP : sw.staleness();
        if (toSsp == (ssp != null)) {
            pendingSwitch = null;
            if (ssp == null) {
                sw.replyTo().tell(new StrategySwitched(jobId, shardIndex, Strategy.PS_BSP, state.version()));
            } else {
                ssp.setStaleness(bound);
                ssp.announceSwitch(sw.replyTo(), ssp.state().complete());
            }
            return;
        }
        long clock = ssp != null ? ssp.state().complete() : state.version();
        if (clock > sw.atClock()) {
            pendingSwitch = null;
            sw.replyTo().tell(new SwitchRefused(jobId, shardIndex, "shard " + shardIndex + " is at clock " + clock
                    + ", past the switch point " + sw.atClock()));
            return;
        }
        if (clock < sw.atClock() || !(ssp != null ? ssp.quiesced() : state.quiesced())) return;
        pendingSwitch = null;
        if (toSsp) switchToSsp(sw, bound);
        else switchToBsp(sw);
    }

    private void switchToSsp(SwitchStrategy sw, int bound) {
        ssp = SspShardMode.fromBsp(context, jobId, shardIndex, state, optimizer, microBatches, bound, backupVersion,
                () -> backup);
        context.getLog().info("{}: {} from clock {}", entityId, ssp.strategy().id(), sw.atClock());
        ssp.announceSwitch(sw.replyTo(), sw.atClock());
        List<Command> reads = new ArrayList<>(waitingPulls);
        reads.addAll(waitingSnapshots);
        waitingPulls.clear();
        waitingSnapshots.clear();
        reads.forEach(ssp::serve);
    }

    private void switchToBsp(SwitchStrategy sw) {
        BspShardState.Exported exported = ssp.state().toBsp();
        List<Command> reads = ssp.drainWaiting();
        ssp = null;
        adopt(BspShardState.restore(exported, optimizer, microBatches));
        context.getLog().info("{}: ps-bsp from version {}", entityId, sw.atClock());
        if (backup != null) backup.tell(new ShardBackup.SwitchTo(Strategy.PS_BSP, 0, sw.atClock(), 0));
        sw.replyTo().tell(new StrategySwitched(jobId, shardIndex, Strategy.PS_BSP, sw.atClock()));
        reads.forEach(this::serve);
    }

    private Behavior<Command> onSspBackupAck(SspBackupAck ack) {
        if (mode == Mode.READY && ssp != null && ack.jobId().equals(jobId)) {
            ssp.onBackupAck(ack);
            trySwitch();
        }
        return this;
    }

    /** After recovery: the backup ran ps-ssp / ps-asp, so this primary does too. */
    private void adoptSsp(ShardImage img) {
        ssp = img.ssp() == null ? null : SspShardMode.restore(context, jobId, shardIndex, img.ssp(), optimizer,
                microBatches, () -> backup);
        if (ssp != null) {
            context.getLog().warn("{}: {} state recovered: clocks below {} whole, {} gradients applied", entityId,
                    ssp.strategy().id(), ssp.state().complete(), ssp.state().applied());
        }
    }

    private boolean owns(String job) {
        if (job.equals(jobId)) return true;
        context.getLog().warn("{}: dropping message for job {} (holding {})", entityId, job, jobId);
        return false;
    }
}
