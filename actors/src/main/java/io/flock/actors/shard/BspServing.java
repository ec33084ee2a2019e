package io.flock.actors.shard;

import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.metrics.TrainingMetrics;
import io.flock.strategies.BspShardState;
import io.flock.strategies.Strategy;
import io.flock.tensor.wire.TensorChecksum;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * ps-bsp serving ({@link BspShardState}): a step is applied once all its micro-batch gradients
 * are in (once per (step, micro-batch)); a pull for version v is answered once v exists here and
 * the backup acknowledged it, so workers proceed in lock-step and an answered version survives
 * this node. Snapshots for a version are taken exactly when the state reaches it. Not an actor:
 * the owning shard calls it from its own thread.
 */
final class BspServing implements ServingMode {

    private final ActorContext<ParameterShard.Command> context;
    private final ShardSpec spec;
    private final BackupLink backup;
    private final BspShardState state;
    private final TrainingMetrics metrics;
    private final List<ParameterShard.Pull> waitingPulls = new ArrayList<>();
    private final List<ParameterShard.GetSnapshot> waitingSnapshots = new ArrayList<>();

    BspServing(ActorContext<ParameterShard.Command> context, ShardSpec spec, BackupLink backup, BspShardState state) {
        this.context = context;
        this.spec = spec;
        this.backup = backup;
        this.state = state;
        this.metrics = FlockMetrics.get(context.getSystem()).metrics();
        state.onVersion(this::answerWaitingSnapshots);
    }

    @Override
    public ShardSpec spec() {
        return spec;
    }

    @Override
    public Strategy strategy() {
        return Strategy.PS_BSP;
    }

    @Override
    public void push(ParameterShard.Push push) {
        if (!spec.owns(push.jobId(), context.getLog())) return;
        if (!push.intact()) {
            refuseCorrupt(context, spec.entityId(), push);
            return;
        }
        long current = state.version();
        BspShardState.Outcome outcome = state.push(push.step(), push.microBatch(), push.gradient());
        if (outcome != BspShardState.Outcome.DUPLICATE) metrics.recordStaleness(Math.max(0, current - push.step()));
        if (outcome != BspShardState.Outcome.DUPLICATE && backup.ref() != null) {
            backup.ref().tell(new ShardBackup.Replicate(push));
        }
        if (outcome == BspShardState.Outcome.APPLIED) {
            answerWaitingPulls();
            backup.expectAck(state.version());
        }
    }

    /** Logs and counts a push whose gradient no longer matches its checksum; the caller drops it. */
    static void refuseCorrupt(ActorContext<?> ctx, String who, ParameterShard.Push push) {
        FlockMetrics.get(ctx.getSystem()).metrics().serializationError();
        ctx.getLog().error("{}: dropped the gradient of step {} micro-batch {}: its {} elements changed after the worker "
                + "computed them (CRC32C {} expected, {} found); the worker sends it again", who, push.step(),
                push.microBatch(), push.gradient().length(), Long.toHexString(push.checksum()),
                Long.toHexString(TensorChecksum.of(push.gradient())));
    }

    /** The newest version that is safe to hand out: applied here and, with a backup, there too. */
    private long servable() {
        return backup.ref() == null ? state.version() : Math.min(state.version(), backup.ackedVersion());
    }

    @Override
    public void pull(ParameterShard.Pull pull) {
        if (!spec.owns(pull.jobId(), context.getLog())) return;
        long servable = servable();
        if (pull.version() > servable) {
            waitingPulls.add(pull);
        } else if (state.paramsAt(pull.version()) != null) {
            pull.replyTo().tell(new ParameterShard.Pulled(spec.jobId(), spec.shardIndex(), pull.version(),
                    pull.requestId(), state.paramsAt(pull.version()).dup()));
        } else {
            // Too old to serve: answer with what we have; the worker skips ahead.
            pull.replyTo().tell(new ParameterShard.Pulled(spec.jobId(), spec.shardIndex(), servable, pull.requestId(),
                    state.paramsAt(servable).dup()));
        }
    }

    @Override
    public void snapshot(ParameterShard.GetSnapshot get) {
        if (!spec.owns(get.jobId(), context.getLog())) return;
        if (get.atVersion() > state.version()) waitingSnapshots.add(get);
        else get.replyTo().tell(takeSnapshot());
    }

    @Override
    public void version(ParameterShard.GetVersion get) {
        if (spec.owns(get.jobId(), context.getLog())) {
            get.replyTo().tell(new ParameterShard.Version(spec.jobId(), spec.shardIndex(), state.version()));
        }
    }

    @Override
    public void sspPush(ParameterShard.SspPush push) {
        dropSsp(push);
    }

    @Override
    public void sspPull(ParameterShard.SspPull pull) {
        dropSsp(pull);
    }

    @Override
    public void progress(ParameterShard.GetSspProgress get) {
        dropSsp(get);
    }

    private void dropSsp(ParameterShard.Command msg) {
        context.getLog().warn("{}: {} while in ps-bsp; dropped", spec.entityId(), msg.getClass().getSimpleName());
    }

    @Override
    public boolean checksSwitchOnReads() {
        return false; // reads do not move a ps-bsp state towards a switch point
    }

    @Override
    public void backupAcked() {
        answerWaitingPulls();
    }

    @Override
    public boolean sspBackupAcked(ParameterShard.Replication.SspBackupAck ack) {
        return false;
    }

    @Override
    public void backupPlaced() {
        answerWaitingSnapshots(state.version()); // a seed may have moved the version past them
        answerWaitingPulls();
    }

    @Override
    public ShardImage image() {
        return spec.image(state.export(), null);
    }

    @Override
    public BspShardState stepState() {
        return state;
    }

    @Override
    public BspShardState.Exported toSteps() {
        return state.export();
    }

    @Override
    public long clock() {
        return state.version();
    }

    @Override
    public boolean quiesced() {
        return state.quiesced();
    }

    @Override
    public void retune(ParameterShard.SwitchStrategy sw) {
        sw.replyTo().tell(new ParameterShard.StrategySwitched(spec.jobId(), spec.shardIndex(), Strategy.PS_BSP,
                state.version()));
    }

    @Override
    public void announceSwitch(ActorRef<ParameterShard.Reply> replyTo, long atClock) {
        if (backup.ref() != null) backup.ref().tell(new ShardBackup.SwitchTo(Strategy.PS_BSP, 0, atClock, 0));
        replyTo.tell(new ParameterShard.StrategySwitched(spec.jobId(), spec.shardIndex(), Strategy.PS_BSP, atClock));
    }

    @Override
    public List<Consumer<ServingMode>> drainReads() {
        List<Consumer<ServingMode>> reads = new ArrayList<>();
        waitingPulls.forEach(p -> reads.add(next -> next.pull(p)));
        waitingSnapshots.forEach(g -> reads.add(next -> next.snapshot(g)));
        waitingPulls.clear();
        waitingSnapshots.clear();
        return reads;
    }

    @Override
    public void handOverOnSeed(BspServing next) {
        next.waitingPulls.addAll(waitingPulls);
        next.waitingSnapshots.addAll(waitingSnapshots);
    }

    /** Runs inside the step application: the state is exactly at {@code version} right now. */
    private void answerWaitingSnapshots(long version) {
        for (Iterator<ParameterShard.GetSnapshot> it = waitingSnapshots.iterator(); it.hasNext(); ) {
            ParameterShard.GetSnapshot get = it.next();
            if (get.atVersion() <= version) {
                get.replyTo().tell(takeSnapshot());
                it.remove();
            }
        }
    }

    private ParameterShard.Snapshot takeSnapshot() {
        long[] applied = state.appliedSteps().stream().mapToLong(Long::longValue).toArray();
        return new ParameterShard.Snapshot(spec.jobId(), spec.shardIndex(), state.version(), state.params().dup(),
                state.optimizerState().dup(), applied);
    }

    private void answerWaitingPulls() {
        long servable = servable();
        List<ParameterShard.Pull> ready = new ArrayList<>();
        for (Iterator<ParameterShard.Pull> it = waitingPulls.iterator(); it.hasNext(); ) {
            ParameterShard.Pull p = it.next();
            if (p.version() <= servable) {
                ready.add(p);
                it.remove();
            }
        }
        ready.forEach(this::pull);
    }
}
