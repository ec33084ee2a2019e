package io.flock.actors.shard;

import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A primary's side of its backup: finding {@link BackupHost}s, placing a backup on another node,
 * asking for the backup after a crash, watching it, the version it acknowledged and the stall
 * timer. Not an actor: the owning {@link ParameterShard} calls it from its own thread and acts on
 * the answers (decisions come from {@link BackupPolicy}). See docs/replication.md.
 */
final class BackupLink {

    private static final Object STALL_KEY = "backup-stall";

    private final ActorContext<ParameterShard.Command> context;
    private final TimerScheduler<ParameterShard.Command> timers;
    private final ShardSettings settings;
    private final String entityId;
    private final ActorRef<Receptionist.Listing> listings;
    private final BackupPolicy.Search<ActorRef<BackupHost.Command>> search = new BackupPolicy.Search<>();
    private ActorRef<ShardBackup.Command> backup;
    private long ackedVersion;
    private boolean warnedNoRedundancy;

    BackupLink(ActorContext<ParameterShard.Command> context, TimerScheduler<ParameterShard.Command> timers,
            ShardSettings settings, String entityId) {
        this.context = context;
        this.timers = timers;
        this.settings = settings;
        this.entityId = entityId;
        this.listings = context.messageAdapter(Receptionist.Listing.class, ParameterShard.HostsListed::new);
    }

    /** The backup gradients are forwarded to; null without redundancy. */
    ActorRef<ShardBackup.Command> ref() {
        return backup;
    }

    /** The ps-bsp version the backup has acknowledged (every step below it applied there too). */
    long ackedVersion() {
        return ackedVersion;
    }

    /** Records a ps-bsp acknowledgement; false when it says nothing new. */
    boolean acked(long version) {
        if (version <= ackedVersion) return false;
        ackedVersion = version;
        return true;
    }

    /** Asks the receptionist for the backup hosts; the answer comes back as {@link ParameterShard.HostsListed}. */
    void findHosts() {
        context.getSystem().receptionist().tell(Receptionist.find(BackupHost.SERVICE_KEY, listings));
    }

    /** The backup exists or the shard is lost: no more looking for hosts. */
    void stopLooking() {
        timers.cancel(new ParameterShard.FindHostsAgain());
    }

    /**
     * Placing: asks a host on another node for a backup made from {@code image} (answered by
     * {@link ParameterShard.Replication.BackupReady}), or looks again soon. True when there is no
     * other shard node: the shard then serves without a backup.
     */
    boolean place(Receptionist.Listing listing, Supplier<ShardImage> image) {
        List<ActorRef<BackupHost.Command>> hosts = liveHosts(listing);
        List<ActorRef<BackupHost.Command>> remote = hosts.stream().filter(h -> !h.path().address().hasLocalScope())
                .toList();
        context.getLog().debug("{}: placing a backup; live hosts {}, remote {}, listed {}", entityId, hosts.size(),
                remote.size(), listing.getServiceInstances(BackupHost.SERVICE_KEY));
        BackupPolicy.Placement<ActorRef<BackupHost.Command>> placement =
                BackupPolicy.place(remote, this::otherShardNodes, entityId);
        switch (placement.kind()) {
            case ON_HOST -> placement.host().tell(new BackupHost.HostBackup(entityId, image.get(), self()));
            case LOOK_AGAIN_SOON -> timers.startSingleTimer(new ParameterShard.FindHostsAgain(),
                    settings.hostGossipRetry()); // their hosts are not in our receptionist view yet
            case NO_REDUNDANCY -> {
                if (!warnedNoRedundancy) {
                    warnedNoRedundancy = true; // once: ring/tree re-seed the shard every epoch
                    context.getLog().warn("{}: NO REDUNDANCY: no other shard node to hold a backup; losing this "
                            + "node loses the shard (resume from a checkpoint)", entityId);
                }
                drop();
                return true;
            }
        }
        return false;
    }

    /** Recovering: asks every live host for this shard's backup; false when no host is reachable. */
    boolean askForBackup(Receptionist.Listing listing) {
        List<ActorRef<BackupHost.Command>> hosts = liveHosts(listing);
        if (!search.ask(hosts)) return false;
        hosts.forEach(h -> h.tell(new BackupHost.FindBackup(entityId, self())));
        return true;
    }

    /** {@code host} holds no backup of this shard; true when no host asked can hold it (the shard is lost). */
    boolean noBackupAt(ActorRef<BackupHost.Command> host) {
        return search.noBackupAt(host);
    }

    /** The backup placed from the state at {@code version} exists: it replaces (and stops) the old one. */
    void placed(ActorRef<ShardBackup.Command> ready, long version) {
        drop();
        adopt(ready, version);
    }

    /** The backup this re-created primary took its state (at {@code version}) from, on another node. */
    void adopt(ActorRef<ShardBackup.Command> found, long version) {
        backup = found;
        ackedVersion = version;
        context.watchWith(backup, new ParameterShard.BackupGone(backup));
    }

    /** A backup on this very node: kept (not watched) only until a new one elsewhere replaces it. */
    void keepUntilReplaced(ActorRef<ShardBackup.Command> local) {
        backup = local;
    }

    /** True when {@code gone} is the current backup (which then is forgotten: it stopped). */
    boolean lost(ActorRef<ShardBackup.Command> gone) {
        if (!gone.equals(backup)) return false;
        context.getLog().warn("{}: backup on {} is gone; placing a new one", entityId, gone.path().address());
        backup = null;
        return true;
    }

    /** Stops the current backup, if any. */
    void drop() {
        if (backup != null) {
            context.unwatch(backup);
            backup.tell(new ShardBackup.Stop());
            backup = null;
        }
    }

    /** The primary applied {@code version}: unless already armed, the backup must acknowledge it in time. */
    void expectAck(long version) {
        if (backup != null && !timers.isTimerActive(STALL_KEY)) armStall(version);
    }

    /**
     * The stall timer armed at {@code stalledAt} fired; the primary is at {@code current}. True when
     * the backup must be replaced: Artery delivers at most once, so a replicated gradient may have
     * been lost with a broken connection, and the backup would never reach the version (pulls
     * waiting for it would wait forever).
     */
    boolean stalled(long stalledAt, long current) {
        switch (BackupPolicy.onStall(backup != null, ackedVersion, stalledAt, current)) {
            case REARM -> armStall(current);
            case REPLACE -> {
                context.getLog().warn("{}: backup acknowledged version {} but not {} within {} s; placing a fresh one "
                        + "from the current state", entityId, ackedVersion, stalledAt,
                        settings.backupStallTimeout().toSeconds());
                return true;
            }
            case NONE -> { }
        }
        return false;
    }

    private void armStall(long version) {
        timers.startSingleTimer(STALL_KEY, new ParameterShard.BackupStalled(version), settings.backupStallTimeout());
    }

    private ActorRef<ParameterShard.Replication> self() {
        return context.getSelf().narrow();
    }

    /**
     * Hosts on reachable Up members (the listing can still name a node that just died), in a stable
     * order. Arms the retry: whatever is asked now may go unanswered (a host dying), so look again
     * unless an answer cancels it.
     */
    private List<ActorRef<BackupHost.Command>> liveHosts(Receptionist.Listing listing) {
        Set<ActorRef<BackupHost.Command>> listed = listing.getServiceInstances(BackupHost.SERVICE_KEY);
        Set<Address> live = listed.isEmpty() ? Set.of() : liveMembers();
        List<ActorRef<BackupHost.Command>> hosts = listed.stream()
                .filter(h -> h.path().address().hasLocalScope() || live.contains(h.path().address()))
                .sorted(Comparator.comparing(h -> h.path().toString())).toList();
        timers.startSingleTimer(new ParameterShard.FindHostsAgain(), settings.hostRetry());
        return hosts;
    }

    /** Addresses of Up members that no one sees as unreachable. */
    private Set<Address> liveMembers() {
        var state = Cluster.get(context.getSystem()).state();
        Set<Address> live = new HashSet<>();
        for (var m : state.getMembers()) {
            if (m.status() == MemberStatus.up() && !state.getUnreachable().contains(m)) live.add(m.address());
        }
        return live;
    }

    /** Up members other than this one that host shards. */
    private long otherShardNodes() {
        var cluster = Cluster.get(context.getSystem());
        var self = cluster.selfMember().address();
        long n = 0;
        for (var m : cluster.state().getMembers()) {
            if (m.hasRole(ParameterShard.ROLE) && m.status() == MemberStatus.up() && !m.address().equals(self)) n++;
        }
        return n;
    }
}
