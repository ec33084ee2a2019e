package io.flock.chaos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the nodes' logs for signs that the host, not Flock, was the problem: Pekko warns when its
 * scheduler could not send a heartbeat on time (CPU starvation). With Flock's 2 s acceptable
 * heartbeat pause, delays of seconds make healthy nodes look unreachable; a report that failed
 * then says so instead of leaving the reader to guess.
 */
final class HostLoad {

    private static final Pattern DELAYED = Pattern.compile("Previous heartbeat was sent \\[(\\d+)\\] ms ago");

    private HostLoad() {}

    /** One note when any log shows delayed heartbeats: how many, and the longest with its node. */
    static List<String> notes(Map<String, Path> logs) {
        int count = 0;
        long max = 0;
        String where = "";
        for (Map.Entry<String, Path> log : logs.entrySet()) {
            Matcher m = DELAYED.matcher(Processes.read(log.getValue()));
            while (m.find()) {
                count++;
                long ms = Long.parseLong(m.group(1));
                if (ms > max) {
                    max = ms;
                    where = log.getKey();
                }
            }
        }
        List<String> notes = new ArrayList<>();
        if (count > 0) {
            notes.add(String.format(Locale.ROOT, "host overloaded: %d delayed heartbeat(s) in the node logs, the longest "
                    + "%.1f s (%s); beyond the 2 s acceptable pause healthy nodes look unreachable", count, max / 1000.0, where));
        }
        return notes;
    }
}
