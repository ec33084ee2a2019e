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
        assertTrue(e.getMessage().contains("scenario.timeline[0]: set exactly one of at-step and at-seconds"), e.getMessage());
    }

    @Test
    void parse_networkFault_saysNotYetImplemented() throws Exception {
        var e = assertThrows(ScenarioParser.InvalidScenarioException.class,
                () -> ScenarioParser.parse(write("    { at-step = 1, fault = partition, node = n2 }\n")));
        assertTrue(e.getMessage().contains("'partition' is not implemented yet"), e.getMessage());
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
