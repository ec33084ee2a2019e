package io.flock.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Writes a {@link RunReport} as {@code report.md}, {@code report.json} and {@code step-rate.svg}
 * (committed steps per second, one bar per second, faults as red vertical lines) into a directory.
 * JSON and SVG are written by hand: a few fixed shapes, no extra dependency.
 */
public final class ReportWriter {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 300;
    private static final int MARGIN = 40;

    private ReportWriter() {}

    public static void write(RunReport r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("report.md"), markdown(r));
        Files.writeString(dir.resolve("report.json"), json(r));
        Files.writeString(dir.resolve("step-rate.svg"), svg(r));
    }

    /** The report as Markdown (what report.md holds). */
    public static String markdown(RunReport r) {
        StringBuilder b = new StringBuilder("# Chaos scenario `" + r.scenario() + "`: " + (r.passed() ? "PASSED" : "FAILED") + "\n\n");
        b.append("| check | result | detail |\n| --- | --- | --- |\n");
        r.checks().forEach(c -> b.append("| ").append(c.name()).append(" | ").append(c.passed() ? "ok" : "**FAILED**")
                .append(" | ").append(c.detail().replace("\n", " ").replace("|", "\\|")).append(" |\n"));
        b.append("\n## Faults\n\n| at (s) | fault | → next committed step (s) | → recovered: end of the longest stall (s) | longest stall (s) |\n| --- | --- | --- | --- | --- |\n");
        r.faults().forEach(f -> b.append("| ").append(RunReport.num(f.seconds())).append(" | ")
                .append(f.followUp() ? "↳ " : "").append(f.description().replace("|", "\\|"))
                .append(" | ").append(RunReport.num(f.nextStepSeconds())).append(" | ").append(RunReport.num(f.recoverySeconds()))
                .append(" | ").append(RunReport.num(f.longestGapSeconds())).append(" |\n"));
        b.append("\n## Throughput (steps/s)\n\n| before | during | after |\n| --- | --- | --- |\n| ")
                .append(RunReport.num(r.throughput().before())).append(" | ").append(RunReport.num(r.throughput().during()))
                .append(" | ").append(RunReport.num(r.throughput().after())).append(" |\n");
        b.append("\n## Node processes\n\n| node | process | pid | harness did | exit code | exited at (s) |\n"
                + "| --- | --- | --- | --- | --- | --- |\n");
        r.nodes().forEach(n -> b.append("| ").append(n.name()).append(" | #").append(n.incarnation()).append(" | ")
                .append(n.pid()).append(" | ").append(n.harnessState()).append(" | ")
                .append(n.exitCode() == RunReport.NodeRecord.RUNNING_AT_END ? "running at the end" : n.exitCode())
                .append(" | ").append(RunReport.num(n.exitSeconds())).append(" |\n"));
        if (!r.notes().isEmpty()) {
            b.append("\n## Notes\n\n");
            r.notes().forEach(n -> b.append("- ").append(n).append('\n'));
        }
        b.append("\n## Timeline\n\n");
        r.timeline().forEach(t -> b.append("- ").append(RunReport.num(t.seconds())).append(" s: ").append(t.what()).append('\n'));
        b.append("\n![step rate](step-rate.svg)\n");
        return b.toString();
    }

    static String json(RunReport r) {
        return "{\n  \"scenario\": " + str(r.scenario()) + ",\n  \"passed\": " + r.passed()
                + ",\n  \"checks\": [" + list(r.checks().stream().map(c -> "{\"name\": " + str(c.name()) + ", \"passed\": "
                        + c.passed() + ", \"detail\": " + str(c.detail()) + "}").toList())
                + "],\n  \"faults\": [" + list(r.faults().stream().map(f -> "{\"seconds\": " + n(f.seconds())
                        + ", \"fault\": " + str(f.description()) + ", \"nextStepSeconds\": " + n(f.nextStepSeconds())
                        + ", \"recoverySeconds\": " + n(f.recoverySeconds())
                        + ", \"longestGapSeconds\": " + n(f.longestGapSeconds()) + ", \"followUp\": " + f.followUp()
                        + "}").toList())
                + "],\n  \"throughput\": {\"before\": " + n(r.throughput().before()) + ", \"during\": "
                + n(r.throughput().during()) + ", \"after\": " + n(r.throughput().after())
                + "},\n  \"nodes\": [" + list(r.nodes().stream().map(x -> "{\"name\": " + str(x.name())
                        + ", \"incarnation\": " + x.incarnation() + ", \"pid\": " + x.pid() + ", \"harnessState\": "
                        + str(x.harnessState()) + ", \"exitCode\": "
                        + (x.exitCode() == RunReport.NodeRecord.RUNNING_AT_END ? "null" : x.exitCode())
                        + ", \"exitSeconds\": " + n(x.exitSeconds()) + "}").toList())
                + "],\n  \"restores\": [" + list(r.restores().stream().map(x -> "{\"seconds\": " + n(x.seconds())
                        + ", \"step\": " + x.step() + ", \"path\": " + str(x.path()) + ", \"rejected\": " + x.rejected()
                        + "}").toList())
                + "],\n  \"notes\": [" + list(r.notes().stream().map(ReportWriter::str).toList())
                + "],\n  \"timeline\": [" + list(r.timeline().stream().map(t -> "{\"seconds\": " + n(t.seconds())
                        + ", \"what\": " + str(t.what()) + "}").toList())
                + "],\n  \"steps\": [" + r.steps().stream().map(s -> "[" + s.step() + ", " + n(s.seconds()) + "]")
                        .collect(Collectors.joining(", ")) + "]\n}\n";
    }

    static String svg(RunReport r) {
        List<TrainProcess.StepAt> steps = r.steps();
        double end = Math.max(1, steps.isEmpty() ? 1 : steps.get(steps.size() - 1).seconds());
        for (RunReport.FaultRecord f : r.faults()) end = Math.max(end, f.seconds());
        int seconds = (int) Math.ceil(end);
        int[] perSecond = new int[seconds + 1];
        steps.forEach(s -> perSecond[(int) s.seconds()]++);
        int max = Math.max(1, java.util.Arrays.stream(perSecond).max().orElse(1));
        double xScale = (WIDTH - 2.0 * MARGIN) / (seconds + 1);
        double yScale = (HEIGHT - 2.0 * MARGIN) / max;
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n"
                        + "<text x=\"%d\" y=\"20\">%s: committed steps per second (red: faults; orange, dashed: their end)</text>%n"
                        + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n"
                        + "<text x=\"5\" y=\"%d\">%d</text><text x=\"%d\" y=\"%d\">%d s</text>%n",
                WIDTH, HEIGHT, MARGIN, escape(r.scenario()), MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN,
                MARGIN + 4, max, WIDTH - MARGIN - 20, HEIGHT - MARGIN + 15, seconds));
        for (int s = 0; s <= seconds; s++) {
            if (perSecond[s] == 0) continue;
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"steelblue\"/>%n",
                    MARGIN + s * xScale, HEIGHT - MARGIN - perSecond[s] * yScale, Math.max(1, xScale - 1), perSecond[s] * yScale));
        }
        for (int i = 0; i < r.faults().size(); i++) {
            RunReport.FaultRecord f = r.faults().get(i);
            double x = MARGIN + f.seconds() * xScale;
            String color = f.followUp() ? "darkorange" : "red";
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"%s/>"
                    + "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>%n", x, MARGIN, x, HEIGHT - MARGIN, color,
                    f.followUp() ? " stroke-dasharray=\"4 3\"" : "", x + 2, MARGIN + 10 + 12 * (i % 6), color,
                    escape(f.description())));
        }
        return b.append("</svg>\n").toString();
    }

    private static String list(List<String> items) {
        return items.isEmpty() ? "" : "\n    " + String.join(",\n    ", items) + "\n  ";
    }

    private static String n(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
