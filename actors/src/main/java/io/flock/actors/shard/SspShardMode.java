package io.flock.actors.shard;

import io.flock.strategies.Strategy;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.metrics.TrainingMetrics;
import io.flock.strategies.BspShardState;
import io.flock.strategies.SspClock;
import io.flock.strategies.SspShardState;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The ps-ssp / ps-asp side of a {@link ParameterShard} primary: applies each gradient on arrival
 * ({@link SspShardState}), forwards it to the backup and acknowledges it to the worker only once
 * the backup holds it, and gates reads on the clock.
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
final class SspShardMode {

    /** An answer held until the backup has acknowledged gradient (or switch) number {@code seq}. */
    private record PendingReply(long seq, ActorRef<ParameterShard.Reply> to, ParameterShard.Reply reply) {}

    /** A read held until {@code gate <= servable()}. */
    private record Waiting(long gate, ParameterShard.Command request) {}

    private final ActorContext<ParameterShard.Command> context;
    private final String jobId;
    private final int shardIndex;
    private final SspShardState state;
    private final boolean recovered;
    private final Supplier<ActorRef<ShardBackup.Command>> backup;
    private final TrainingMetrics metrics;
    private final ArrayDeque<PendingReply> unacked = new ArrayDeque<>();
    private final List<Waiting> waiting = new ArrayList<>();
    private int staleness;
    private long sentSeq;
    private long ackedSeq;
    private long backupComplete;

    private SspShardMode(ActorContext<ParameterShard.Command> context, String jobId, int shardIndex,
            SspShardState state, int staleness, boolean recovered, long backupComplete,
            Supplier<ActorRef<ShardBackup.Command>> backup) {
        this.context = context;
        this.jobId = jobId;
        this.shardIndex = shardIndex;
        this.state = state;
        this.staleness = staleness;
        this.recovered = recovered;
        this.backupComplete = backupComplete;
        this.backup = backup;
        this.metrics = FlockMetrics.get(context.getSystem()).metrics();
    }

    /**
     * Switches a BSP shard that is quiesced at its version (see {@link SspShardState#fromBsp}).
     * {@code backupVersion} is the version the BSP backup acknowledged: reads wait for it as before.
     */
    static SspShardMode fromBsp(ActorContext<ParameterShard.Command> context, String jobId, int shardIndex,
            BspShardState bsp, OptimizerSpec optimizer, int microBatches, int staleness, long backupVersion,
            Supplier<ActorRef<ShardBackup.Command>> backup) {
        SspShardState s = SspShardState.fromBsp(bsp.export(), optimizer, microBatches);
        long held = backup.get() == null ? s.complete() : Math.min(s.complete(), backupVersion);
        return new SspShardMode(context, jobId, shardIndex, s, staleness, false, held, backup);
    }

    /** A re-created primary adopting its backup's state ({@code recovered} shows in progress reports). */
    static SspShardMode restore(ActorContext<ParameterShard.Command> context, String jobId, int shardIndex,
            ShardImage.Ssp image, OptimizerSpec optimizer, int microBatches,
            Supplier<ActorRef<ShardBackup.Command>> backup) {
        SspShardState s = SspShardState.restore(image.state(), optimizer, microBatches);
        return new SspShardMode(context, jobId, shardIndex, s, image.staleness(), true, s.complete(), backup);
    }

    /** Serves {@code msg} if it is work for a shard in this mode; false if it is not (the shard handles it). */
    boolean serve(ParameterShard.Command msg) {
        if (msg instanceof ParameterShard.SspPush p) {
            if (owns(p.jobId())) onPush(p);
        } else if (msg instanceof ParameterShard.SspPull p) {
            if (owns(p.jobId())) read(readGate(p.clock()), p);
        } else if (msg instanceof ParameterShard.Pull p) {
            if (owns(p.jobId())) read(p.version(), p);
        } else if (msg instanceof ParameterShard.GetSnapshot g) {
            if (owns(g.jobId())) read(g.atVersion(), g);
        } else if (msg instanceof ParameterShard.GetSspProgress g) {
            if (owns(g.jobId())) read(g.atClock(), g);
        } else if (msg instanceof ParameterShard.GetVersion g) {
            if (owns(g.jobId())) g.replyTo().tell(new ParameterShard.Version(jobId, shardIndex, servable()));
        } else if (msg instanceof ParameterShard.Push p) {
            context.getLog().debug("{}-{}: BSP push of step {} while in {}; dropped", jobId, shardIndex, p.step(),
                    strategy().id());
        } else {
            return false;
        }
        return true;
    }

    private boolean owns(String job) {
        if (job.equals(jobId)) return true;
        context.getLog().warn("{}-{}: dropping message for job {}", jobId, shardIndex, job);
        return false;
    }

    private long readGate(long clock) {
        return staleness == SspClock.ASP ? Long.MIN_VALUE : clock - staleness;
    }

    private void onPush(ParameterShard.SspPush p) {
        SspShardState.Ack ack = state.push(p.clock(), p.microBatch(), p.gradient());
        ActorRef<ShardBackup.Command> b = backup.get();
        if (ack.applied()) {
            metrics.recordStaleness(ack.staleness());
            if (b != null) b.tell(new ShardBackup.ReplicateSsp(++sentSeq, p.clock(), p.microBatch(), p.gradient()));
        }
        // A duplicate waits for the newest number too: its first copy may still be on its way to the backup.
        replyWhenHeld(sentSeq, p.replyTo(), new ParameterShard.SspAcked(jobId, shardIndex, p.clock(), p.microBatch()));
        if (b == null) answerWaiting();
    }

    private void replyWhenHeld(long seq, ActorRef<ParameterShard.Reply> to, ParameterShard.Reply reply) {
        if (backup.get() == null || seq <= ackedSeq) to.tell(reply);
        else unacked.add(new PendingReply(seq, to, reply));
    }

    /** The backup applied every gradient up to {@code seq}; its complete clock is {@code complete}. */
    void onBackupAck(ParameterShard.SspBackupAck ack) {
        if (ack.seq() > ackedSeq) ackedSeq = ack.seq();
        backupComplete = Math.max(backupComplete, ack.complete());
        while (!unacked.isEmpty() && unacked.peek().seq() <= ackedSeq) {
            PendingReply r = unacked.poll();
            r.to().tell(r.reply());
        }
        answerWaiting();
    }

    /**
     * The backup (or none, without redundancy) now holds everything applied here: it was placed
     * from the current image or is the one this state came from. Releases every held answer.
     */
    void backupPlaced() {
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
    void announceSwitch(ActorRef<ParameterShard.Reply> replyTo, long atClock) {
        ActorRef<ShardBackup.Command> b = backup.get();
        if (b != null) b.tell(new ShardBackup.SwitchTo(strategy(), staleness, atClock, ++sentSeq));
        replyWhenHeld(sentSeq, replyTo, new ParameterShard.StrategySwitched(jobId, shardIndex, strategy(), atClock));
    }

    /** Changes the bound without converting state (ps-ssp ↔ ps-asp, or another s); reads re-check it. */
    void setStaleness(int s) {
        staleness = s;
        answerWaiting();
    }

    /** The newest clock whose whole prefix the backup holds: what reads are gated on. */
    long servable() {
        return backup.get() == null ? state.complete() : Math.min(state.complete(), backupComplete);
    }

    /** No gradient of an unfinished clock applied and none waiting for the backup: a switch point. */
    boolean quiesced() {
        return state.quiesced() && unacked.isEmpty();
    }

    /** Reads that a BSP shard can answer after switching back (pulls, snapshots); the rest are dropped. */
    List<ParameterShard.Command> drainWaiting() {
        List<ParameterShard.Command> left = new ArrayList<>();
        for (Waiting w : waiting) {
            if (w.request() instanceof ParameterShard.Pull || w.request() instanceof ParameterShard.GetSnapshot) {
                left.add(w.request());
            }
        }
        waiting.clear();
        return left;
    }

    ShardImage.Ssp image() {
        return new ShardImage.Ssp(staleness, state.export());
    }

    SspShardState state() {
        return state;
    }

    int staleness() {
        return staleness;
    }

    Strategy strategy() {
        return staleness == SspClock.ASP ? Strategy.PS_ASP : Strategy.PS_SSP;
    }

    private void read(long gate, ParameterShard.Command request) {
        if (gate <= servable()) answer(request);
        else waiting.add(new Waiting(gate, request));
    }

    private void answerWaiting() {
        if (waiting.isEmpty()) return;
        long servable = servable();
        List<ParameterShard.Command> ready = new ArrayList<>();
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (w.gate() <= servable) {
                ready.add(w.request());
                it.remove();
            }
        }
        ready.forEach(this::answer);
    }

    /** Answers a read whose gate is open: always with the current state (reads under SSP are not versioned). */
    private void answer(ParameterShard.Command request) {
        if (request instanceof ParameterShard.SspPull p) {
            p.replyTo().tell(new ParameterShard.SspPulled(jobId, shardIndex, p.clock(), p.requestId(),
                    state.params().dup()));
        } else if (request instanceof ParameterShard.Pull p) {
            p.replyTo().tell(new ParameterShard.Pulled(jobId, shardIndex, p.version(), p.requestId(),
                    state.params().dup()));
        } else if (request instanceof ParameterShard.GetSnapshot g) {
            g.replyTo().tell(new ParameterShard.Snapshot(jobId, shardIndex, g.atVersion(), state.params().dup(),
                    state.optimizerState().dup(), new long[0]));
        } else if (request instanceof ParameterShard.GetSspProgress g) {
            g.replyTo().tell(progress(g));
        }
    }

    private ParameterShard.SspProgress progress(ParameterShard.GetSspProgress ask) {
        return new ParameterShard.SspProgress(jobId, shardIndex, ask.atClock(), state.firstClock(), state.complete(),
                state.appliedAbove(), state.applied(), state.acknowledged(), state.maxStaleness(), recovered,
                ask.withParams() ? state.params().dup() : null);
    }
}
