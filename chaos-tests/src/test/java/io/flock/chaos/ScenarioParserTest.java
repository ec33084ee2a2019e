package io.flock.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScenarioParserTest {

    @TempDir
    Path dir;

    private File write(String timeline) throws Exception {
        Path f = dir.resolve("s.conf");
        Files.writeString(f, """
                scenario {
                  name = s
                  nodes = [ { name = n1 }, { name = n2, host-shards = off, worker-slots = 2 } ]
                  job { steps = 10 }
                  timeline = [
                """ + timeline + """
                  ]
                }
                """);
        return f.toFile();
    }

    @Test
    void parse_fullFile_givesNodesJobAndTimeline() throws Exception {
        Scenario s = ScenarioParser.parse(write("""
                    { at-step = 40, fault = kill, node = n2 }
                    { at-seconds = 2.5, fault = pause, node = coordinator, duration = 8s }
                    { at-step = 90, fault = add-node, name = n3, host-shards = off }
                    { at-step = 95, fault = leave, node = shard-primary }
                """));
        assertEquals(List.of(new NodeSpec("n1", 1, true), new NodeSpec("n2", 2, false)), s.nodes());
        assertEquals(10, s.job().getInt("job.steps"));
        assertEquals(List.of(
                new Scenario.Event(new Scenario.Trigger.AtStep(40), new Scenario.Fault.Kill(Scenario.Target.node("n2"))),
                new Scenario.Event(new Scenario.Trigger.AtSeconds(2.5),
                        new Scenario.Fault.Pause(Scenario.Target.COORDINATOR, Duration.ofSeconds(8))),
                new Scenario.Event(new Scenario.Trigger.AtStep(90), new Scenario.Fault.AddNode(new NodeSpec("n3", 1, false))),
                new Scenario.Event(new Scenario.Trigger.AtStep(95), new Scenario.Fault.Leave(Scenario.Target.SHARD_PRIMARY))),
                s.timeline());
        assertEquals(Duration.ofMinutes(3), s.timeout());
    }

    @Test
    void parse_unknownFault_namesKeyFileAndLine() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, fault = kil, node = n2 }\n")));
        assertTrue(e.getMessage().contains("scenario.timeline[0].fault: unknown fault 'kil'"), e.getMessage());
        assertTrue(e.getMessage().contains("s.conf:6"), e.getMessage());
    }

    @Test
    void parse_pauseWithoutDuration_namesKey() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, fault = kill, node = n2 }\n    { at-step = 2, fault = pause, node = n1 }\n")));
        assertTrue(e.getMessage().contains("scenario.timeline[1].duration: missing") && e.getMessage().contains("s.conf:7"),
                e.getMessage());
    }

    @Test
    void parse_bothTriggers_refused() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, at-seconds = 3, fault = kill, node = n2 }\n")));
        assertTrue(e.getMessage().contains("scenario.timeline[0]: set exactly one of at-step, at-seconds, after-steps"),
                e.getMessage());
    }

    @Test
    void parse_networkRestartAndResumeFaults() throws Exception {
        Scenario s = ScenarioParser.parse(write("""
                    { at-step = 10, fault = partition, sides = [[n2], [n1, train]], duration = 12s }
                    { after-steps = 5, fault = heal }
                    { at-step = 20, fault = latency, from = n1, to = n2, delay = 200ms, duration = 10s }
                    { at-step = 30, fault = bandwidth, from = n2, to = coordinator, bytes-per-second = 1MiB, both-ways = on }
                    { at-step = 40, fault = drop, from = n1, to = n2 }
                    { after-steps = 10, fault = restart, node = n1 }
                    { at-step = 60, fault = full-restart }
                """));
        Scenario.Target n1 = Scenario.Target.node("n1");
        Scenario.Target n2 = Scenario.Target.node("n2");
        assertEquals(List.of(
                new Scenario.Event(new Scenario.Trigger.AtStep(10), new Scenario.Fault.Partition(
                        List.of(List.of(n2), List.of(n1, Scenario.Target.TRAIN)), Duration.ofSeconds(12))),
                new Scenario.Event(new Scenario.Trigger.AfterSteps(5), new Scenario.Fault.Heal()),
                new Scenario.Event(new Scenario.Trigger.AtStep(20),
                        new Scenario.Fault.Latency(n1, n2, Duration.ofMillis(200), false, Duration.ofSeconds(10))),
                new Scenario.Event(new Scenario.Trigger.AtStep(30),
                        new Scenario.Fault.Bandwidth(n2, Scenario.Target.COORDINATOR, 1 << 20, true, Duration.ZERO)),
                new Scenario.Event(new Scenario.Trigger.AtStep(40), new Scenario.Fault.Drop(n1, n2, false)),
                new Scenario.Event(new Scenario.Trigger.AfterSteps(10), new Scenario.Fault.Restart(n1)),
                new Scenario.Event(new Scenario.Trigger.AtStep(60), new Scenario.Fault.FullRestart())),
                s.timeline());
        assertTrue(s.needsNetwork());
    }

    @Test
    void parse_partitionWithOneSide_namesKeyAndLine() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, fault = partition, sides = [[n1, n2]] }\n")));
        assertTrue(e.getMessage().contains("scenario.timeline[0]: a partition needs at least two non-empty sides")
                && e.getMessage().contains("s.conf:6"), e.getMessage());
    }

    @Test
    void parse_partitionSidesNotLists_namesKey() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, fault = partition, sides = [n1, n2] }\n")));
        assertTrue(e.getMessage().contains("scenario.timeline[0].sides: each side is a list of node names"), e.getMessage());
    }

    @Test
    void parse_latencyWithoutDelay_namesKey() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, fault = latency, from = n1, to = n2 }\n")));
        assertTrue(e.getMessage().contains("scenario.timeline[0].delay: missing") && e.getMessage().contains("s.conf:6"),
                e.getMessage());
    }

    @Test
    void parse_reservedNodeName_refused() throws Exception {
        Path f = dir.resolve("r.conf");
        Files.writeString(f, "scenario { name = s, nodes = [ { name = train } ], job { steps = 1 } }\n");
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class, () -> ScenarioParser.parse(f.toFile()));
        assertTrue(e.getMessage().contains("node name 'train' is reserved"), e.getMessage());
    }

    @Test
    void parse_wrongType_namesLineAndKey() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = soon, fault = kill, node = n2 }\n")));
        assertTrue(e.getMessage().contains("6") && e.getMessage().contains("at-step"), e.getMessage());
    }

    @Test
    void parse_badNodeName_namesNodeKey() throws Exception {
        Path f = dir.resolve("n.conf");
        Files.writeString(f, "scenario { name = s, nodes = [ { name = \"a b\" } ], job { steps = 1 } }\n");
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class, () -> ScenarioParser.parse(f.toFile()));
        assertTrue(e.getMessage().startsWith("scenario.nodes[0]: node name 'a b'"), e.getMessage());
    }
}
