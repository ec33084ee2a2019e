package io.flock.actors.shard;

import io.flock.strategies.BspShardState;
import io.flock.strategies.Strategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Makes a shard's {@link ServingMode}s. {@link #kindOf} and {@link #enter} are the one place a
 * strategy picks how shards serve it: a new kind of serving is one {@link ServingMode} class and
 * one line in each. Init and Seed always start a ps-bsp state; a recovered image is ps-ssp /
 * ps-asp when it carries that part ({@link ShardImage#ssp()}).
 */
final class ServingModes {

    private final ActorContext<ParameterShard.Command> context;
    private final BackupLink backup;

    ServingModes(ActorContext<ParameterShard.Command> context, BackupLink backup) {
        this.context = context;
        this.backup = backup;
    }

    /** How shards serve {@code strategy}: on arrival (ps-ssp, ps-asp) or by whole steps (the rest). */
    static Strategy.Family kindOf(Strategy strategy) {
        return strategy.appliesOnArrival() ? Strategy.Family.SHARDED_ON_ARRIVAL : Strategy.Family.SHARDED_STEPS;
    }

    /** The mode serving {@code sw}'s strategy, converted from {@code from}, which is quiesced at the switch clock. */
    ServingMode enter(ParameterShard.SwitchStrategy sw, ServingMode from) {
        ShardSpec spec = from.spec();
        return switch (kindOf(sw.strategy())) {
            case SHARDED_ON_ARRIVAL -> SspServing.enter(context, spec, backup, from.stepState(), from.toSteps(), sw);
            default -> steps(spec, BspShardState.restore(from.toSteps(), spec.optimizer(), spec.microBatches()));
        };
    }

    /** ps-bsp serving of {@code state} (after Init, Seed or a switch back). */
    BspServing steps(ShardSpec spec, BspShardState state) {
        return new BspServing(context, spec, backup, state);
    }

    /** The mode of a backup's image, adopted by a re-created primary. */
    ServingMode recovered(ShardSpec spec, ShardImage image) {
        BspShardState bsp = BspShardState.restore(image.state(), spec.optimizer(), spec.microBatches());
        if (image.ssp() == null) return steps(spec, bsp);
        SspServing ssp = SspServing.restore(context, spec, backup, bsp, image.ssp());
        context.getLog().warn("{}: {} state recovered: clocks below {} whole, {} gradients applied", spec.entityId(),
                ssp.strategy().id(), ssp.clock(), ssp.recoveredApplied());
        return ssp;
    }
}
