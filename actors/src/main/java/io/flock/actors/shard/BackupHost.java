package io.flock.actors.shard;

import io.flock.actors.wire.FlockMessage;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per shard-hosting node: spawns the {@link ShardBackup}s that primaries on other nodes ask
 * for, and tells a re-created primary whether this node holds its backup.
 */
public final class BackupHost extends AbstractBehavior<BackupHost.Command> {

    /** Hosts register under this key; primaries find them through the receptionist. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "flock-backup-host");

    /** Messages a host accepts. */
    public sealed interface Command extends FlockMessage {}

    /** Create (or replace) the backup of shard entity {@code entityId}. */
    public record HostBackup(String entityId, ShardImage image, ActorRef<ParameterShard.Replication> primary)
            implements Command {}

    /** Does this node hold the backup of {@code entityId}? Answers BackupState through the backup, or NoBackup. */
    public record FindBackup(String entityId, ActorRef<ParameterShard.Replication> primary) implements Command {}

    /** Stop the backup of {@code entityId}, if here. */
    public record DropBackup(String entityId) implements Command {}

    private record BackupStopped(String entityId, ActorRef<ShardBackup.Command> backup) implements Command {}

    private final Map<String, ActorRef<ShardBackup.Command>> backups = new HashMap<>();
    private int created;

    private BackupHost(ActorContext<Command> ctx) {
        super(ctx);
        ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
    }

    public static Behavior<Command> create() {
        return Behaviors.setup(BackupHost::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(HostBackup.class, this::onHost)
                .onMessage(FindBackup.class, this::onFind)
                .onMessage(DropBackup.class, this::onDrop)
                .onMessage(BackupStopped.class, this::onStopped)
                .build();
    }

    private Behavior<Command> onHost(HostBackup h) {
        onDrop(new DropBackup(h.entityId()));
        ActorRef<ShardBackup.Command> backup = getContext().spawn(ShardBackup.create(h.image(), h.primary()),
                "backup-" + h.entityId() + "-" + created++);
        getContext().watchWith(backup, new BackupStopped(h.entityId(), backup));
        backups.put(h.entityId(), backup);
        h.primary().tell(new ParameterShard.Replication.BackupReady(h.image().jobId(), backup));
        return this;
    }

    private Behavior<Command> onFind(FindBackup f) {
        ActorRef<ShardBackup.Command> backup = backups.get(f.entityId());
        if (backup != null) backup.tell(new ShardBackup.HandOver(f.primary()));
        else f.primary().tell(new ParameterShard.Replication.NoBackup(f.entityId(), getContext().getSelf()));
        return this;
    }

    private Behavior<Command> onDrop(DropBackup d) {
        ActorRef<ShardBackup.Command> backup = backups.remove(d.entityId());
        if (backup != null) backup.tell(new ShardBackup.Stop());
        return this;
    }

    private Behavior<Command> onStopped(BackupStopped s) {
        backups.remove(s.entityId(), s.backup());
        return this;
    }
}
