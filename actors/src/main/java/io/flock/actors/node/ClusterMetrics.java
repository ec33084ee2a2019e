package io.flock.actors.node;

import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.metrics.TrainingMetrics;
import io.flock.actors.shard.ParameterShard;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Keeps the node's cluster gauges current: members by status, from the membership events it
 * has seen (the cluster's own state view may lag the events), and
 * the number of parameter-shard entities hosted here, sampled every
 * {@code flock.metrics.shards-interval} (the sharding region is asked; shards are not touched).
 */
public final class ClusterMetrics {

    /** Messages of this actor; all private to it. */
    public sealed interface Command {}

    private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

    private record SampleShards() implements Command {}

    private record ShardsSampled(CurrentShardRegionState state)
            implements Command {}

    private ClusterMetrics() {}

    public static Behavior<Command> create() {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            FlockMetrics ext = FlockMetrics.get(ctx.getSystem());
            Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
                    ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new),
                    ClusterEvent.MemberEvent.class));
            GetShardRegionState sample = new GetShardRegionState(ParameterShard.TYPE_KEY,
                    ctx.messageAdapter(CurrentShardRegionState.class, ShardsSampled::new));
            timers.startTimerWithFixedDelay(new SampleShards(), Duration.ZERO, ext.settings().shardsInterval());
            TrainingMetrics metrics = ext.metrics();
            Map<UniqueAddress, MemberStatus> members = new HashMap<>();
            return Behaviors.receive(Command.class)
                    .onMessage(MembershipChanged.class, m -> {
                        Member member = m.event().member();
                        if (m.event() instanceof ClusterEvent.MemberRemoved) members.remove(member.uniqueAddress());
                        else members.put(member.uniqueAddress(), member.status());
                        metrics.setMembers(countByStatus(members));
                        return Behaviors.same();
                    })
                    .onMessage(SampleShards.class, m -> {
                        ClusterSharding.get(ctx.getSystem()).shardState().tell(sample);
                        return Behaviors.same();
                    })
                    .onMessage(ShardsSampled.class, m -> {
                        metrics.setShards(m.state().getShards().stream().mapToInt(s -> s.getEntityIds().size()).sum());
                        return Behaviors.same();
                    })
                    .build();
        }));
    }

    private static Map<String, Integer> countByStatus(Map<UniqueAddress, MemberStatus> members) {
        Map<String, Integer> counts = new TreeMap<>();
        for (MemberStatus status : members.values()) counts.merge(status.toString().toLowerCase(Locale.ROOT), 1, Integer::sum);
        return counts;
    }
}
