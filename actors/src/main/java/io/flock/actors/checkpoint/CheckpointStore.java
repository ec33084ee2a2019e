package io.flock.actors.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Checkpoint files in one directory, named {@code <jobId>-<version>.ckpt}.
 *
 * <p>Format: the magic {@code FLOCKCKP}, a format version (int32), the payload length (int64),
 * the payload ({@link CheckpointFormat}: job id, steps applied, batch-plan cursor, the job file,
 * parameters and optimizer state as dtype, shape and raw little-endian elements) and a CRC32C of
 * the payload (int64); header and trailer are big-endian. The format does not depend on Flock's
 * wire registry. Format 2 (a Kryo payload, before Flock's stable formats) is recognised and
 * refused as written by an older Flock; a newer format is refused naming the newest this build
 * reads. A write goes to a temporary file in the same directory, is
 * fsynced, atomically renamed into place and the directory fsynced, so a crash leaves either
 * the old set or the new one, never a torn file under a checkpoint's name. Reading checks
 * size, magic, version, length and checksum before decoding; any failure is a
 * {@link CheckpointException} naming the file and the problem.
 */
public final class CheckpointStore {

    static final byte[] MAGIC = "FLOCKCKP".getBytes(StandardCharsets.US_ASCII);
    /** 3: Flock's own format (2 was Flock's Kryo wire registry, 1 before the staleness bound). */
    static final int FORMAT_VERSION = CheckpointFormat.VERSION;
    /** The last format whose payload was Kryo: recognised to say why it cannot be read. */
    static final int LAST_KRYO_FORMAT = 2;
    static final int HEADER = MAGIC.length + 4 + 8;
    static final int TRAILER = 8;
    private static final Pattern NAME = Pattern.compile("(.+)-(\\d{12})\\.ckpt");

    private final Path dir;
    private final int keep;

    /**
     * @param dir  directory of the checkpoint files (created if missing)
     * @param keep newest checkpoints kept per job; older ones are deleted after each write
     */
    public CheckpointStore(Path dir, int keep) {
        if (keep < 1) throw new IllegalArgumentException("flock.checkpoint.keep must be >= 1, got " + keep);
        this.dir = dir;
        this.keep = keep;
    }

    public Path dir() {
        return dir;
    }

    /** Writes {@code checkpoint} atomically and prunes old ones; returns the file. */
    public Path write(Checkpoint checkpoint) {
        byte[] payload;
        try {
            payload = CheckpointFormat.encode(checkpoint);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException("cannot write a checkpoint of job " + checkpoint.jobId() + " at step "
                    + checkpoint.version() + ": " + e.getMessage(), e);
        }
        CRC32C crc = new CRC32C();
        crc.update(payload);
        Path target = dir.resolve(String.format("%s-%012d.ckpt", checkpoint.jobId(), checkpoint.version()));
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer header = ByteBuffer.allocate(HEADER).put(MAGIC).putInt(FORMAT_VERSION).putLong(payload.length);
                writeFully(ch, header.flip());
                writeFully(ch, ByteBuffer.wrap(payload));
                writeFully(ch, ByteBuffer.allocate(TRAILER).putLong(crc.getValue()).flip());
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot write checkpoint " + target + ": " + e.getMessage(), e);
        }
        prune(checkpoint.jobId());
        return target;
    }

    /** Reads and fully validates one checkpoint file. */
    public static Checkpoint read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length < HEADER + TRAILER) {
            throw new CheckpointException("checkpoint " + file + " is truncated: " + bytes.length
                    + " bytes, less than the " + (HEADER + TRAILER) + " of an empty checkpoint");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[MAGIC.length];
        buf.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CheckpointException("file " + file + " is not a Flock checkpoint (bad magic at offset 0)");
        }
        int format = buf.getInt();
        if (format < 1) {
            throw new CheckpointException("file " + file + " is not a Flock checkpoint (format version " + format + ")");
        }
        if (format > FORMAT_VERSION) {
            throw new CheckpointException("checkpoint " + file + " has format version " + format + ", written by a newer "
                    + "Flock; this build reads format versions up to " + FORMAT_VERSION);
        }
        if (format <= LAST_KRYO_FORMAT) {
            throw new CheckpointException("checkpoint " + file + " has format version " + format + ", written by an "
                    + "older Flock in its Kryo wire format, which this build cannot resume from (it reads format "
                    + FORMAT_VERSION + "); finish the job with the Flock that wrote it or restart it from step 0");
        }
        long length = buf.getLong();
        if (length != bytes.length - HEADER - TRAILER) {
            throw new CheckpointException("checkpoint " + file + " is truncated or padded: header says " + length
                    + " payload bytes at offset " + HEADER + ", file holds " + (bytes.length - HEADER - TRAILER));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, HEADER, (int) length);
        long stored = ByteBuffer.wrap(bytes, HEADER + (int) length, TRAILER).getLong();
        if (crc.getValue() != stored) {
            throw new CheckpointException("checkpoint " + file + " is corrupt: CRC32C of the payload is "
                    + Long.toHexString(crc.getValue()) + ", the file says " + Long.toHexString(stored));
        }
        try {
            return CheckpointFormat.decode(ByteBuffer.wrap(bytes, HEADER, (int) length));
        } catch (IllegalArgumentException e) { // InvalidJobException included: the stored job file
            throw new CheckpointException("checkpoint " + file + " has an undecodable payload: " + e.getMessage(), e);
        }
    }

    /** Result of looking for a job's newest usable checkpoint. */
    public record Found(Checkpoint checkpoint, Path file, List<String> rejected) {}

    /**
     * The newest checkpoint of {@code jobId} that reads cleanly; newer ones that do not are
     * skipped and their problems listed. {@code checkpoint} is null when none is usable.
     */
    public Found latestValid(String jobId) {
        List<String> rejected = new ArrayList<>();
        List<Path> files = files(jobId);
        for (int i = files.size() - 1; i >= 0; i--) {
            try {
                Checkpoint c = read(files.get(i));
                if (!c.jobId().equals(jobId)) throw new CheckpointException(files.get(i) + " belongs to job " + c.jobId());
                return new Found(c, files.get(i), rejected);
            } catch (CheckpointException e) {
                rejected.add(e.getMessage());
            }
        }
        return new Found(null, null, rejected);
    }

    /** The job's checkpoint files, oldest first. */
    public List<Path> files(String jobId) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                Matcher m = NAME.matcher(p.getFileName().toString());
                return m.matches() && m.group(1).equals(jobId);
            }).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new CheckpointException("cannot list checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private void prune(String jobId) {
        List<Path> files = files(jobId);
        for (int i = 0; i < files.size() - keep; i++) {
            try {
                Files.deleteIfExists(files.get(i));
            } catch (IOException e) {
                // a stale old checkpoint is harmless; the next write tries again
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
