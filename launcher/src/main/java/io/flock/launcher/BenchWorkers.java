package io.flock.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link BenchWorker} processes on this machine ({@code java -cp <this JVM's class path>}, so the
 * shaded jar when run by {@code bin/flock}), each driven by lines on stdin and answering on
 * stdout; stderr goes to a log file per worker. Closing sends QUIT and kills what did not exit.
 */
final class BenchWorkers implements AutoCloseable {

    /** One worker process. */
    static final class Worker {
        final Process process;
        final PrintStream in;
        final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        final Path log;
        int dataPort;
        int tcpPort;

        Worker(Process process, Path log) {
            this.process = process;
            this.log = log;
            this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith(BenchWorker.ANSWER)) answers.add(line.substring(BenchWorker.ANSWER.length()));
                    }
                } catch (IOException e) {
                    // the process ended
                }
                answers.add("EXITED");
            }, "bench-worker-out-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        void send(String command) {
            in.println(command);
        }

        /** The next answer; fails on ERROR, exit or timeout, naming the worker's log. */
        String[] answer(long timeoutSeconds) throws InterruptedException, TimeoutException {
            String a = answers.poll(timeoutSeconds, TimeUnit.SECONDS);
            if (a == null) throw new TimeoutException("worker " + process.pid() + " did not answer in " + timeoutSeconds + " s; log " + log);
            if (a.startsWith("ERROR") || a.equals("EXITED")) {
                throw new IllegalStateException("worker " + process.pid() + ": " + a + "; log " + log);
            }
            return a.split(" ");
        }
    }

    private final List<Worker> workers = new ArrayList<>();
    private final Path logDir;

    private BenchWorkers(Path logDir) {
        this.logDir = logDir;
    }

    /** Starts {@code count} workers whose data planes cut vectors into {@code chunkSize}-value frames; waits until all are ready. */
    static BenchWorkers start(int count, int chunkSize, int socketBuffer) throws InterruptedException, TimeoutException {
        BenchWorkers w;
        try {
            w = new BenchWorkers(Files.createTempDirectory("flock-bench-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (int i = 0; i < count; i++) w.launch(i, chunkSize, socketBuffer);
            for (Worker worker : w.workers) {
                String[] ready = worker.answer(180);
                worker.dataPort = Integer.parseInt(ready[1]);
                worker.tcpPort = Integer.parseInt(ready[2]);
            }
            return w;
        } catch (InterruptedException | TimeoutException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    Worker get(int i) {
        return workers.get(i);
    }

    int size() {
        return workers.size();
    }

    private void launch(int i, int chunkSize, int socketBuffer) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("-Xmx1g", "-XX:+UseG1GC",
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), BenchWorker.class.getName(),
                Integer.toString(chunkSize), Integer.toString(socketBuffer)));
        Path log = logDir.resolve("worker-" + i + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        try {
            workers.add(new Worker(pb.start(), log));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
    }

    @Override
    public void close() {
        for (Worker w : workers) w.send("QUIT");
        for (Worker w : workers) {
            try {
                if (!w.process.waitFor(20, TimeUnit.SECONDS)) w.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.process.destroyForcibly();
            }
        }
    }
}
