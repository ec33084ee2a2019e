package io.flock.actors.shard;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The decisions of a primary about its backup, as pure functions of what it sees: where to place
 * a backup, whether a lagging backup must be replaced, and when a search for a lost primary's
 * backup has failed. Generic in the host type so that tests need no actors; {@link BackupLink}
 * carries the decisions out.
 */
final class BackupPolicy {

    private BackupPolicy() {}

    /** Where a new backup goes: on {@code host}, nowhere yet (look again soon), or nowhere at all. */
    record Placement<H>(Kind kind, H host) {
        enum Kind { ON_HOST, LOOK_AGAIN_SOON, NO_REDUNDANCY }
    }

    /**
     * Picks the host of a new backup among the live hosts on other nodes ({@code remote}, in a
     * stable order): the same one for the same shard while the set does not change, spread over
     * hosts by entity id. With none listed, other shard nodes that are Up mean their hosts are not
     * in the receptionist's view yet (look again soon); no other shard node means no redundancy.
     * {@code otherShardNodes} is only asked when no remote host is listed.
     */
    static <H> Placement<H> place(List<H> remote, LongSupplier otherShardNodes, String entityId) {
        if (!remote.isEmpty()) {
            return new Placement<>(Placement.Kind.ON_HOST, remote.get(Math.floorMod(entityId.hashCode(), remote.size())));
        }
        return new Placement<>(otherShardNodes.getAsLong() > 0 ? Placement.Kind.LOOK_AGAIN_SOON
                : Placement.Kind.NO_REDUNDANCY, null);
    }

    /** What a primary does when its backup-stall timer, armed at version {@code stalledAt}, fires. */
    enum Stall { NONE, REARM, REPLACE }

    /**
     * The backup acknowledged {@code acked}; the timer was armed when the primary applied
     * {@code stalledAt}, and it is at {@code current} now. Not there yet: replace the backup. There,
     * but behind again: re-arm for the current version. Caught up (or no backup): nothing.
     */
    static Stall onStall(boolean hasBackup, long acked, long stalledAt, long current) {
        if (!hasBackup) return Stall.NONE;
        if (acked < stalledAt) return Stall.REPLACE;
        return acked < current ? Stall.REARM : Stall.NONE;
    }

    /**
     * A re-created primary asking the live hosts, round after round, which holds its backup. The
     * hosts that said "not here" are remembered across rounds; the backup is lost once every host
     * asked in the latest round said so.
     */
    static final class Search<H> {
        private List<H> asked = List.of();
        private final Set<H> withoutBackup = new HashSet<>();

        /** A new round asks {@code hosts}; false when there is no one to ask (the shard is lost). */
        boolean ask(List<H> hosts) {
            asked = hosts;
            return !hosts.isEmpty();
        }

        /** {@code host} holds no backup; true when no host asked in the latest round can hold it. */
        boolean noBackupAt(H host) {
            withoutBackup.add(host);
            return withoutBackup.containsAll(asked);
        }
    }
}
