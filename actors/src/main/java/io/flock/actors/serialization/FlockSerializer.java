package io.flock.actors.serialization;

import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.wire.KryoSerializer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The serializer Pekko binds to every {@link io.flock.actors.wire.FlockMessage}
 * ({@code pekko-defaults.conf}): the generic {@link KryoSerializer} with Flock's id table
 * ({@link FlockWireIds}), counting each message it cannot decode in the node's
 * {@code flock_serialization_errors_total}.
 */
public final class FlockSerializer extends KryoSerializer {

    public FlockSerializer(ExtendedActorSystem system) {
        this(Adapter.toTyped(system), system);
    }

    private FlockSerializer(ActorSystem<?> typed, ExtendedActorSystem system) {
        super(system, FlockWireIds.IDS, () -> FlockMetrics.get(typed).metrics().serializationError());
    }
}
