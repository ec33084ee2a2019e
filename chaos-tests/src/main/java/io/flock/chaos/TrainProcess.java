package io.flock.chaos;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A job submitted as {@code flock train <job-file> --event-lines --params-out <file>} in its own
 * process. A reader thread timestamps the {@code event ...} lines on arrival (the harness's clock,
 * {@link System#nanoTime()} relative to {@code originNanos}) and copies all output, each line
 * prefixed with that time, to {@code train.log} in the run directory.
 */
public final class TrainProcess {

    /** A step the job committed, {@code seconds} after the run's origin as seen by the harness. */
    public record StepAt(long step, double seconds, int workers) {}

    /** A membership change the coordinator announced. */
    public record MembershipAt(double seconds, long epoch, int workers, long fromStep) {}

    /** An SSP/ASP re-sync's audit: {@code acknowledged} gradients checked on every shard, {@code missing} not applied. */
    public record AuditAt(double seconds, long epoch, long acknowledged, long missing) {}

    /** The job resumed from the checkpoint at {@code path} (after {@code step} steps), skipping {@code rejected} newer files. */
    public record RestoredAt(double seconds, long step, String path, int rejected) {}

    private static final Pattern STEP = Pattern.compile("^event step=(\\d+) workers=(\\d+)(?: loss=(\\S+))?");
    private static final Pattern MEMBERSHIP = Pattern.compile("^event membership epoch=(\\d+) workers=(\\d+) from-step=(\\d+)");
    private static final Pattern AUDIT = Pattern.compile("^event audit epoch=(\\d+) acknowledged=(\\d+) missing=(\\d+)");
    private static final Pattern RESTORED = Pattern.compile("^event restored step=(\\d+) path=(\\S+) rejected=(\\d+)");

    private final Process process;
    private final Path log;
    private final Path paramsFile;
    private final long originNanos;
    private final List<StepAt> steps = new ArrayList<>();
    private final Map<Long, Double> losses = new HashMap<>();
    private final List<MembershipAt> memberships = new ArrayList<>();
    private final List<RestoredAt> restores = new ArrayList<>();
    private final List<AuditAt> audits = new ArrayList<>();
    private final AtomicLong lastStep = new AtomicLong(-1);
    private final Thread reader;

    private TrainProcess(Process process, Path log, Path paramsFile, long originNanos) {
        this.process = process;
        this.log = log;
        this.paramsFile = paramsFile;
        this.originNanos = originNanos;
        this.reader = new Thread(this::readOutput, "train-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** Submits {@code jobFile} through {@code cluster}'s serving nodes; output to {@code train.log} in the run directory. */
    public static TrainProcess submit(ChaosCluster cluster, Path jobFile, long originNanos) {
        return start(cluster, jobFile, originNanos, false, "train.log");
    }

    /** Submits {@code jobFile} with {@code flock train --resume}: it continues from the job's newest valid checkpoint. */
    public static TrainProcess resume(ChaosCluster cluster, Path jobFile, long originNanos, String logName) {
        return start(cluster, jobFile, originNanos, true, logName);
    }

    private static TrainProcess start(ChaosCluster cluster, Path jobFile, long originNanos, boolean resume, String logName) {
        Path log = cluster.runDir().resolve(logName);
        Path params = cluster.runDir().resolve("final-params.nd4j");
        List<String> args = new ArrayList<>(List.of("train", jobFile.toString(), "--join-timeout", "60s",
                "--event-lines", "--params-out", params.toString()));
        if (resume) args.add("--resume");
        return new TrainProcess(cluster.startMember(Scenario.Target.TRAIN.name(), args), log, params, originNanos);
    }

    /** The highest step committed so far, -1 before the first. */
    public long lastStep() {
        return lastStep.get();
    }

    /** Seconds since step 0 was committed; -1 before that. */
    public synchronized double secondsSinceFirstStep() {
        return steps.isEmpty() ? -1 : (System.nanoTime() - originNanos) / 1e9 - steps.get(0).seconds();
    }

    public synchronized List<StepAt> steps() {
        return List.copyOf(steps);
    }

    /** The mean loss the job reported for each committed step (the last report where a step was reported twice). */
    public synchronized Map<Long, Double> losses() {
        return Map.copyOf(losses);
    }

    public synchronized List<MembershipAt> memberships() {
        return List.copyOf(memberships);
    }

    public synchronized List<AuditAt> audits() {
        return List.copyOf(audits);
    }

    public synchronized List<RestoredAt> restores() {
        return List.copyOf(restores);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** kill -9 (the client dies with the cluster in a full stop); waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(10));
    }

    public Path log() {
        return log;
    }

    /** What {@link #await} returns when the process did not exit in time. */
    public static final int TIMED_OUT = -1;

    /** Waits for the process to exit; returns its exit code, or {@link #TIMED_OUT} when {@code timeout} passed. */
    public int await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) return TIMED_OUT;
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    /** The final parameters the process wrote; fails when it wrote none (the job did not complete). */
    public INDArray finalParams() {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(paramsFile))) {
            return Nd4j.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("no final parameters in " + paramsFile, e);
        }
    }

    /** Copies the output to the log, each line prefixed with its arrival time, and parses event lines. */
    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                double seconds = (System.nanoTime() - originNanos) / 1e9;
                out.write(String.format("%9.3f %s%n", seconds, line));
                out.flush();
                onLine(line, seconds);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the output of flock train", e);
        }
    }

    private synchronized void onLine(String line, double seconds) {
        Matcher m = STEP.matcher(line);
        if (m.find()) {
            long step = Long.parseLong(m.group(1));
            steps.add(new StepAt(step, seconds, Integer.parseInt(m.group(2))));
            if (m.group(3) != null) losses.put(step, Double.parseDouble(m.group(3)));
            lastStep.accumulateAndGet(step, Math::max);
            return;
        }
        m = MEMBERSHIP.matcher(line);
        if (m.find()) {
            memberships.add(new MembershipAt(seconds, Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)),
                    Long.parseLong(m.group(3))));
            return;
        }
        m = AUDIT.matcher(line);
        if (m.find()) {
            audits.add(new AuditAt(seconds, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
            return;
        }
        m = RESTORED.matcher(line);
        if (m.find()) {
            restores.add(new RestoredAt(seconds, Long.parseLong(m.group(1)), m.group(2), Integer.parseInt(m.group(3))));
        }
    }
}
