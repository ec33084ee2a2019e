package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.shard.BackupPolicy.Placement;
import io.flock.actors.shard.BackupPolicy.Stall;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupPolicyTest {

    @Test
    void place_remoteHostsListed_picksOneByEntityIdStably() {
        List<String> remote = List.of("host-a", "host-b", "host-c");
        String entity = "job-shard-4";
        Placement<String> placement = BackupPolicy.place(remote, () -> 0, entity);
        assertEquals(Placement.Kind.ON_HOST, placement.kind());
        assertEquals(remote.get(Math.floorMod(entity.hashCode(), 3)), placement.host());
        assertEquals(placement, BackupPolicy.place(remote, () -> 0, entity), "same shard, same hosts: same choice");
    }

    @Test
    void place_shardsSpreadOverHosts() {
        List<String> remote = List.of("host-a", "host-b");
        long onA = java.util.stream.IntStream.range(0, 20)
                .filter(i -> BackupPolicy.place(remote, () -> 1, "job-shard-" + i).host().equals("host-a")).count();
        assertTrue(onA > 0 && onA < 20, "20 shards on 2 hosts: both get some, got " + onA + " on host-a");
    }

    @Test
    void place_noRemoteHostButOtherShardNodesUp_looksAgainSoon() {
        Placement<String> placement = BackupPolicy.place(List.of(), () -> 2, "job-shard-0");
        assertEquals(Placement.Kind.LOOK_AGAIN_SOON, placement.kind());
        assertNull(placement.host());
    }

    @Test
    void place_noOtherShardNode_noRedundancy() {
        assertEquals(Placement.Kind.NO_REDUNDANCY, BackupPolicy.place(List.of(), () -> 0, "job-shard-0").kind());
    }

    @Test
    void place_remoteHostListed_doesNotAskForShardNodes() {
        BackupPolicy.place(List.of("host-a"), () -> {
            throw new AssertionError("cluster state read although a host is listed");
        }, "job-shard-0");
    }

    @Test
    void onStall_backupBehindTheStalledVersion_replaces() {
        assertEquals(Stall.REPLACE, BackupPolicy.onStall(true, 4, 5, 7));
    }

    @Test
    void onStall_backupReachedItButPrimaryMovedOn_rearms() {
        assertEquals(Stall.REARM, BackupPolicy.onStall(true, 5, 5, 7));
    }

    @Test
    void onStall_backupCaughtUp_nothing() {
        assertEquals(Stall.NONE, BackupPolicy.onStall(true, 7, 5, 7));
    }

    @Test
    void onStall_noBackup_nothing() {
        assertEquals(Stall.NONE, BackupPolicy.onStall(false, 0, 5, 7));
    }

    @Test
    void search_noHostToAsk_isLost() {
        assertFalse(new BackupPolicy.Search<String>().ask(List.of()));
    }

    @Test
    void search_everyAskedHostWithoutBackup_isLost() {
        BackupPolicy.Search<String> search = new BackupPolicy.Search<>();
        assertTrue(search.ask(List.of("a", "b")));
        assertFalse(search.noBackupAt("a"), "b has not answered");
        assertTrue(search.noBackupAt("b"));
    }

    @Test
    void search_answersOfEarlierRoundsCount_untilANewHostIsAsked() {
        BackupPolicy.Search<String> search = new BackupPolicy.Search<>();
        search.ask(List.of("a", "b"));
        search.noBackupAt("a");
        search.ask(List.of("a", "b", "c"));
        assertFalse(search.noBackupAt("b"), "c, new in this round, may hold it");
        assertTrue(search.noBackupAt("c"));
    }
}
