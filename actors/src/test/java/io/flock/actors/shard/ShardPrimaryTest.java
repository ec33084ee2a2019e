package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.BehaviorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;

/** The primary's lifecycle without a cluster: a re-created primary that finds no backup host. */
class ShardPrimaryTest {

    private static final ShardSettings SETTINGS =
            new ShardSettings(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(200), 100);

    private static ParameterShard.HostsListed noHosts() {
        return new ParameterShard.HostsListed(Receptionist.listing(BackupHost.SERVICE_KEY, Set.of()));
    }

    @Test
    void pull_withoutStateAndNoBackupHost_isAnsweredLost() {
        BehaviorTestKit<ParameterShard.Command> shard = BehaviorTestKit.create(ShardPrimary.create("job-shard-3", SETTINGS));
        TestInbox<ParameterShard.Reply> worker = TestInbox.create();

        shard.run(new ParameterShard.Pull("job", 5, 1, worker.getRef()));
        assertFalse(worker.hasMessages(), "stashed while it looks for its backup");
        shard.run(noHosts());

        ParameterShard.Reply reply = worker.receiveMessage();
        assertEquals(ParameterShard.Lost.class, reply.getClass());
        assertEquals("job", reply.jobId());
        assertEquals(3, reply.shardIndex());
    }

    @Test
    void lostShard_answersVersionAndSnapshotLost_andDropsPushes() {
        BehaviorTestKit<ParameterShard.Command> shard = BehaviorTestKit.create(ShardPrimary.create("job-shard-0", SETTINGS));
        TestInbox<ParameterShard.Reply> asker = TestInbox.create();
        shard.run(new ParameterShard.GetVersion("job", asker.getRef()));
        shard.run(noHosts());
        asker.expectMessage(new ParameterShard.Lost("job", 0,
                "shard 0 lost its primary and backup; resume the job from a checkpoint"));

        shard.run(new ParameterShard.GetSnapshot("job", 0, asker.getRef()));
        assertEquals(ParameterShard.Lost.class, asker.receiveMessage().getClass());
        shard.run(new ParameterShard.SspPull("job", 0, 1, asker.getRef()));
        assertFalse(asker.hasMessages(), "only versioned reads are answered Lost");
    }

    @Test
    void release_ofItsJob_stops() {
        BehaviorTestKit<ParameterShard.Command> shard = BehaviorTestKit.create(ShardPrimary.create("job-shard-0", SETTINGS));
        shard.run(new ParameterShard.Release("other"));
        assertTrue(shard.isAlive(), "another job's release");
        shard.run(new ParameterShard.Release("job"));
        assertFalse(shard.isAlive());
    }
}
