package io.flock.actors.shard;

import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.metrics.TrainingMetrics;
import io.flock.strategies.BspShardState;
import io.flock.strategies.SspClock;
import io.flock.strategies.SspShardState;
import io.flock.strategies.Strategy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * ps-ssp / ps-asp serving: applies each gradient on arrival ({@link SspShardState}), forwards it
 * to the backup and acknowledges it to the worker only once the backup holds it, and gates reads
 * on the clock.
 *
 * <pre>
 * Where the clock lives: in every shard, as in Petuum's server-side clock tables (Ho et al.,
 * "More effective distributed ML via a stale synchronous parallel parameter server", NIPS 2013).
 * A read for clock c (SspPull) is answered once c - s <= servable, the lowest clock that is not
 * yet whole (all M micro-batches applied) on the BACKUP. That clock is the slowest worker's
 * acknowledged clock, counted in micro-batches rather than worker identities, so it survives any
 * reassignment. Staleness on this shard <= s: an update of clock c' > c + s can only be computed
 * after servable > c, i.e. after (c, m) was applied here. Gating on the backup's clock rather
 * than the primary's keeps the bound across a primary crash: the recovered state holds every
 * gradient any gated read relied on. ASP (s = SspClock.ASP) never waits.
 * </pre>
 *
 * Not an actor: the owning shard calls it from its own thread, after stashing while it places or
 * recovers a backup. Limits: gradients in flight to the backup are held as pending acks in
 * memory; a push of a clock below {@link SspShardState#complete()} is acknowledged as a duplicate.
 */
final class SspServing implements ServingMode {

    /** An answer held until the backup has acknowledged gradient (or switch) number {@code seq}. */
    private record PendingReply(long seq, ActorRef<ParameterShard.Reply> to, ParameterShard.Reply reply) {}

    /** A read held until {@code gate <= servable()}; {@code carry} hands it to the next mode of a switch (null: dropped). */
    private record Waiting(long gate, Runnable answer, Consumer<ServingMode> carry) {}

    private final ActorContext<ParameterShard.Command> context;
    private final ShardSpec spec;
    private final BackupLink backup;
    /** The ps-bsp state as it was at the switch: what the image carries beside the live state. */
    private final BspShardState frozen;
    private final SspShardState state;
    private final boolean recovered;
    private final TrainingMetrics metrics;
    private final ArrayDeque<PendingReply> unacked = new ArrayDeque<>();
    private final List<Waiting> waiting = new ArrayList<>();
    private int staleness;
    private long sentSeq;
    private long ackedSeq;
    private long backupComplete;

    private SspServing(ActorContext<ParameterShard.Command> context, ShardSpec spec, BackupLink backup,
            BspShardState frozen, SspShardState state, int staleness, boolean recovered, long backupComplete) {
        this.context = context;
        this.spec = spec;
        this.backup = backup;
        this.frozen = frozen;
        this.state = state;
        this.staleness = staleness;
        this.recovered = recovered;
        this.backupComplete = backupComplete;
        this.metrics = FlockMetrics.get(context.getSystem()).metrics();
    }

    /**
     * Switches a ps-bsp shard that is quiesced at its version ({@code steps}, the export of
     * {@code bsp}; see {@link SspShardState#fromBsp}). Reads wait for the version the ps-bsp
     * backup acknowledged, as before.
     */
    static SspServing enter(ActorContext<ParameterShard.Command> context, ShardSpec spec, BackupLink backup,
            BspShardState bsp, BspShardState.Exported steps, ParameterShard.SwitchStrategy sw) {
        SspShardState s = SspShardState.fromBsp(steps, spec.optimizer(), spec.microBatches());
        long held = backup.ref() == null ? s.complete() : Math.min(s.complete(), backup.ackedVersion());
        return new SspServing(context, spec, backup, bsp, s, boundOf(sw), false, held);
    }

    /** A re-created primary adopting its backup's state ({@code recovered} shows in progress reports). */
    static SspServing restore(ActorContext<ParameterShard.Command> context, ShardSpec spec, BackupLink backup,
            BspShardState bsp, ShardImage.Ssp image) {
        SspShardState s = SspShardState.restore(image.state(), spec.optimizer(), spec.microBatches());
        return new SspServing(context, spec, backup, bsp, s, image.staleness(), true, s.complete());
    }

    /** The staleness bound a switch asks for: {@link SspClock#ASP} for ps-asp. */
    private static int boundOf(ParameterShard.SwitchStrategy sw) {
        return sw.strategy() == Strategy.PS_ASP ? SspClock.ASP : sw.staleness();
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    @Override
    public Strategy strategy() {
        return staleness == SspClock.ASP ? Strategy.PS_ASP : Strategy.PS_SSP;
    }

    @Override
    public void sspPush(ParameterShard.SspPush p) {
        if (!owns(p.jobId())) return;
        SspShardState.Ack ack = state.push(p.clock(), p.microBatch(), p.gradient());
        ActorRef<ShardBackup.Command> b = backup.ref();
        if (ack.applied()) {
            metrics.recordStaleness(ack.staleness());
            if (b != null) b.tell(new ShardBackup.ReplicateSsp(++sentSeq, p.clock(), p.microBatch(), p.gradient()));
        }
        // A duplicate waits for the newest number too: its first copy may still be on its way to the backup.
        replyWhenHeld(sentSeq, p.replyTo(), new ParameterShard.SspAcked(spec.jobId(), spec.shardIndex(), p.clock(),
                p.microBatch()));
        if (b == null) answerWaiting();
    }

    @Override
    public void sspPull(ParameterShard.SspPull p) {
        if (owns(p.jobId())) read(readGate(p.clock()), () -> p.replyTo().tell(new ParameterShard.SspPulled(
                spec.jobId(), spec.shardIndex(), p.clock(), p.requestId(), state.params().dup())), null);
    }

    /** Answered with the current parameters once the version is whole on the backup (reads under SSP are not versioned). */
    @Override
    public void pull(ParameterShard.Pull p) {
        if (owns(p.jobId())) read(p.version(), () -> p.replyTo().tell(new ParameterShard.Pulled(spec.jobId(),
                spec.shardIndex(), p.version(), p.requestId(), state.params().dup())), next -> next.pull(p));
    }

    @Override
    public void snapshot(ParameterShard.GetSnapshot g) {
        if (owns(g.jobId())) read(g.atVersion(), () -> g.replyTo().tell(new ParameterShard.Snapshot(spec.jobId(),
                spec.shardIndex(), g.atVersion(), state.params().dup(), state.optimizerState().dup(), new long[0])),
                next -> next.snapshot(g));
    }

    @Override
    public void progress(ParameterShard.GetSspProgress g) {
        if (owns(g.jobId())) read(g.atClock(), () -> g.replyTo().tell(progressAt(g)), null);
    }

    @Override
    public void version(ParameterShard.GetVersion g) {
        if (owns(g.jobId())) g.replyTo().tell(new ParameterShard.Version(spec.jobId(), spec.shardIndex(), servable()));
    }

    @Override
    public void push(ParameterShard.Push p) {
        context.getLog().debug("{}: BSP push of step {} while in {}; dropped", spec.entityId(), p.step(),
                strategy().id());
    }

    @Override
    public boolean checksSwitchOnReads() {
        return true;
    }

    private boolean owns(String job) {
        return spec.owns(job, context.getLog());
    }

    private long readGate(long clock) {
        return staleness == SspClock.ASP ? Long.MIN_VALUE : clock - staleness;
    }

    private void replyWhenHeld(long seq, ActorRef<ParameterShard.Reply> to, ParameterShard.Reply reply) {
        if (backup.ref() == null || seq <= ackedSeq) to.tell(reply);
        else unacked.add(new PendingReply(seq, to, reply));
    }

    @Override
    public void backupAcked() {
        // a ps-bsp acknowledgement (of the steps before the switch): reads here wait for SspBackupAck
    }

    /** The backup applied every gradient up to {@code seq}; its complete clock is {@code complete}. */
    @Override
    public boolean sspBackupAcked(ParameterShard.Replication.SspBackupAck ack) {
        if (ack.seq() > ackedSeq) ackedSeq = ack.seq();
        backupComplete = Math.max(backupComplete, ack.complete());
        while (!unacked.isEmpty() && unacked.peek().seq() <= ackedSeq) {
            PendingReply r = unacked.poll();
            r.to().tell(r.reply());
        }
        answerWaiting();
        return true;
    }

    /**
     * The backup (or none, without redundancy) now holds everything applied here: it was placed
     * from the current image or is the one this state came from. Releases every held answer.
     */
    @Override
    public void backupPlaced() {
        ackedSeq = sentSeq;
        backupComplete = state.complete();
        while (!unacked.isEmpty()) {
            PendingReply r = unacked.poll();
            r.to().tell(r.reply());
        }
        answerWaiting();
    }

    /**
     * Tells the backup to switch too, and {@code replyTo} once it did: a shard acknowledged as
     * switched has a backup that would recover it in this mode.
     */
    @Override
    public void announceSwitch(ActorRef<ParameterShard.Reply> replyTo, long atClock) {
        ActorRef<ShardBackup.Command> b = backup.ref();
        if (b != null) b.tell(new ShardBackup.SwitchTo(strategy(), staleness, atClock, ++sentSeq));
        replyWhenHeld(sentSeq, replyTo, new ParameterShard.StrategySwitched(spec.jobId(), spec.shardIndex(), strategy(),
                atClock));
    }

    /** Changes the bound without converting state (ps-ssp ↔ ps-asp, or another s); reads re-check it. */
    @Override
    public void retune(ParameterShard.SwitchStrategy sw) {
        staleness = boundOf(sw);
        answerWaiting();
        announceSwitch(sw.replyTo(), state.complete());
    }

    /** The newest clock whose whole prefix the backup holds: what reads are gated on. */
    private long servable() {
        return backup.ref() == null ? state.complete() : Math.min(state.complete(), backupComplete);
    }

    /** Distinct gradients applied (for the recovery log). */
    long recoveredApplied() {
        return state.applied();
    }

    @Override
    public long clock() {
        return state.complete();
    }

    /** No gradient of an unfinished clock applied and none waiting for the backup: a switch point. */
    @Override
    public boolean quiesced() {
        return state.quiesced() && unacked.isEmpty();
    }

    /** Reads that a ps-bsp shard answers after switching back (pulls, snapshots); the rest are dropped. */
    @Override
    public List<Consumer<ServingMode>> drainReads() {
        List<Consumer<ServingMode>> left = new ArrayList<>();
        for (Waiting w : waiting) {
            if (w.carry() != null) left.add(w.carry());
        }
        waiting.clear();
        return left;
    }

    @Override
    public ShardImage image() {
        return spec.image(frozen.export(), new ShardImage.Ssp(staleness, state.export()));
    }

    @Override
    public BspShardState stepState() {
        return frozen;
    }

    @Override
    public BspShardState.Exported toSteps() {
        return state.toBsp();
    }

    private void read(long gate, Runnable answer, Consumer<ServingMode> carry) {
        if (gate <= servable()) answer.run();
        else waiting.add(new Waiting(gate, answer, carry));
    }

    private void answerWaiting() {
        if (waiting.isEmpty()) return;
        long servable = servable();
        List<Runnable> ready = new ArrayList<>();
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (w.gate() <= servable) {
                ready.add(w.answer());
                it.remove();
            }
        }
        ready.forEach(Runnable::run);
    }

    private ParameterShard.SspProgress progressAt(ParameterShard.GetSspProgress ask) {
        return new ParameterShard.SspProgress(spec.jobId(), spec.shardIndex(), ask.atClock(), state.firstClock(),
                state.complete(), state.appliedAbove(), state.applied(), state.acknowledged(), state.maxStaleness(),
                recovered, ask.withParams() ? state.params().dup() : null);
    }
}
