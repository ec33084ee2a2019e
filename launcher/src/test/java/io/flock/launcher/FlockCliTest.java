package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** Runs the CLI in-process through picocli, as {@code bin/flock} would, and checks output and exit codes. */
class FlockCliTest {

    /** Exit code and captured streams of one in-process run. */
    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = FlockCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void demo_syntheticShortRun_printsSummaryWithTestAccuracy() {
        Run r = run("demo", "--synthetic", "--steps", "30", "--nodes", "2");

        assertEquals(0, r.exitCode(), "stderr: " + r.err());
        Matcher m = Pattern.compile("Done: 30 steps, final loss [0-9.]+, test accuracy (0\\.[0-9]{4}|1\\.0000)")
                .matcher(r.out());
        assertTrue(m.find(), "summary with test accuracy expected in:\n" + r.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0.3, "the MLP learns the synthetic data: " + m.group(0));
        assertTrue(r.out().contains("2 worker(s)"), "both nodes' workers take part:\n" + r.out());
        assertTrue(r.err().contains("step 30/30"), "progress reaches the last step:\n" + r.err());
    }

    @Test
    void demo_negativeNodes_isUsageErrorNamingTheFlag() {
        Run r = run("demo", "--nodes", "-1");

        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("'--nodes'"), r.err());
        assertTrue(r.err().contains("Usage: flock demo"), r.err());
    }

    @Test
    void demo_unknownOption_isUsageErrorNamingTheOption() {
        Run r = run("demo", "--epochz", "3");

        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown option") && r.err().contains("'--epochz'"), r.err());
    }

    @Test
    void demo_zeroEpochs_isUsageError() {
        Run r = run("demo", "--epochs", "0");

        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("'--epochs': 0"), r.err());
    }

    @Test
    void benchAllreduce_ringOfOne_isUsageError() {
        Run r = run("bench", "allreduce", "--members", "1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("N must be >= 2"), r.err());
    }

    @Test
    void benchOverhead_batchNotDivisibleByMicroBatches_isUsageError() {
        Run r = run("bench", "overhead", "--batch", "100", "--micro-batches", "8");

        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("'--micro-batches'"), r.err());
    }

    @Test
    void version_printsFlockVersion() {
        Run r = run("version");

        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("flock 0.1.0-SNAPSHOT"), r.out());
    }

    @Test
    void node_unknownKeyInConfigFile_exitsTwoNamingKeyAndLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path conf = dir.resolve("bad-node.conf");
        java.nio.file.Files.writeString(conf, "pekko.cluster.seed-nodes = [\"pekko://flock@127.0.0.1:2551\"]\n"
                + "flock.node.worker-slot = 2\n");

        Run r = run("node", "--config", conf.toString(), "--port", "0");

        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("flock.node.worker-slot: unknown key") && r.err().contains("bad-node.conf:2"), r.err());
    }

    @Test
    void node_noSeedNodes_exitsTwoSayingSo() {
        Run r = run("node", "--port", "0");

        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("pekko.cluster.seed-nodes"), r.err());
    }

    @Test
    void node_badFlagValue_exitsTwoNamingTheKey() {
        Run r = run("node", "--port", "0", "--seed-nodes", "127.0.0.1:1", "--host-shards", "perhaps");

        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("flock.node.host-shards: expected a boolean (on/off)")
                && r.err().contains("command-line flags"), r.err());
    }

    @Test
    void train_invalidJobFile_exitsTwoBeforeJoining(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path job = dir.resolve("job.conf");
        java.nio.file.Files.writeString(job, "job {\n  shards = -1\n}\n");

        Run r = run("train", job.toString(), "--seed-nodes", "127.0.0.1:1");

        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("job.shards: must be positive, got -1") && r.err().contains("job.conf:2"), r.err());
    }

    @Test
    void switch_unknownStrategy_isUsageErrorListingTheValidOnes() {
        Run r = run("switch", "rung", "--seed-nodes", "127.0.0.1:1");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("unknown strategy 'rung'") && r.err().contains("ring"), r.err());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void switch_runningJob_movesItToRingAndSaysFromWhichStep() throws Exception {
        try (var cluster = io.flock.actors.api.LocalCluster.start(2, 1, com.typesafe.config.ConfigFactory.empty())) {
            var job = io.flock.actors.job.TrainingJob.builder().jobId("cli-switch")
                    .model(io.flock.tensor.model.ModelSpec.Mlp.fashionMnist(1))
                    .dataset(io.flock.tensor.data.DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 1))
                    .globalBatch(60).microBatches(6).steps(2_000).shards(2).workers(2, 2).build();
            var started = new java.util.concurrent.CompletableFuture<Void>();
            var switched = new java.util.concurrent.CompletableFuture<io.flock.actors.job.TrainingEvent.StrategyChanged>();
            var handle = cluster.node(0).submit(job, e -> {
                if (e instanceof io.flock.actors.job.TrainingEvent.StepCompleted) started.complete(null);
                if (e instanceof io.flock.actors.job.TrainingEvent.StrategyChanged c) switched.complete(c);
            });
            started.get(120, TimeUnit.SECONDS);
            String seed = cluster.node(0).address().getHost().get() + ":" + cluster.node(0).address().getPort().get();

            Run r = run("switch", "ring", "--seed-nodes", seed, "--port", "0");

            assertEquals(0, r.exitCode(), r.err());
            var change = switched.get(30, TimeUnit.SECONDS);
            assertEquals(io.flock.strategies.Strategy.RING, change.to());
            assertTrue(r.out().contains("job cli-switch runs ring from step " + change.atStep()), r.out());
            handle.result().toCompletableFuture().cancel(true);
        }
    }

    @Test
    void train_resumeWithoutJobId_exitsTwoBeforeJoining(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path job = dir.resolve("job.conf");
        java.nio.file.Files.writeString(job, "job {\n  steps = 10\n}\n");

        Run r = run("train", job.toString(), "--resume", "--seed-nodes", "127.0.0.1:1");

        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("job.id: required to resume"), r.err());
    }

    @Test
    void trainHelp_explainsResume() {
        Run r = run("train", "--help");

        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("--resume") && r.out().contains("newest valid checkpoint"), r.out());
        assertTrue(r.out().contains("--bind-port"), r.out());
    }

    @Test
    void unknownCommandWithHelp_isUsageErrorNamingIt() {
        Run r = run("jobs", "--help");

        assertEquals(2, r.exitCode(), r.out());
        assertTrue(r.err().contains("Unknown command 'jobs' for 'flock'"), r.err());
        assertTrue(r.out().isEmpty(), "no usage on stdout: " + r.out());
    }

    @Test
    void unknownCommand_isUsageErrorNamingIt() {
        Run r = run("jobs");

        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown command 'jobs' for 'flock'"), r.err());
    }

    @Test
    void unknownBenchmarkWithHelp_isUsageErrorNamingIt() {
        Run r = run("bench", "nope", "--help");

        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown command 'nope' for 'flock bench'"), r.err());
    }

    @Test
    void helpOfAKnownCommand_stillSucceeds() {
        Run r = run("bench", "--help");

        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Usage: flock bench"), r.out());
    }

    @Test
    void commandNames_areUniqueAcrossTheTree() {
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        java.util.List<String> clashes = new java.util.ArrayList<>();
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(FlockCli.commandLine()));
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            for (CommandLine sub : c.getSubcommands().values()) {
                String qualified = sub.getCommandSpec().qualifiedName();
                String previous = seen.putIfAbsent(sub.getCommandName(), qualified);
                if (previous != null && !previous.equals(qualified)) clashes.add(previous + " / " + qualified);
                todo.push(sub);
            }
        }
        assertTrue(clashes.isEmpty(), "commands sharing a name: " + clashes);
        assertTrue(seen.containsKey("switching") && seen.get("switch").equals("flock switch"), seen.toString());
    }
}
