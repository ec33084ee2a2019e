package io.flock.actors.dataplane;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The data plane's wire format: every connection starts with one HELLO frame naming the sender's
 * listening address, then carries data frames, each a fixed header, the job id and {@code count}
 * float32 values. All integers little-endian, values raw IEEE 754 little-endian (x86 and ARM
 * memory order, so values go from and to ND4J buffers without conversion). docs/data-plane.md
 * draws the layout.
 */
final class Frame {

    /** What a frame is. Codes are on the wire: append only. */
    enum Type {
        HELLO(1), RING_REDUCE(2), RING_BROADCAST(3), TREE_UP(4), TREE_DOWN(5);

        final int code;

        Type(int code) {
            this.code = code;
        }

        static Type of(int code) {
            for (Type t : values()) if (t.code == code) return t;
            return null;
        }

        CollectiveSpec.Kind kind() {
            return this == TREE_UP || this == TREE_DOWN ? CollectiveSpec.Kind.TREE : CollectiveSpec.Kind.RING;
        }
    }

    static final byte[] MAGIC = {'F', 'L', 'D', 'P'};
    static final int VERSION = 1;
    static final int DTYPE_FLOAT32 = 1;
    /** magic, version, type, dtype, reserved. */
    static final int PREFIX_BYTES = 8;
    /** A data frame's header after the prefix, up to the job id's bytes. */
    static final int DATA_FIXED_BYTES = 58;
    /** A HELLO's body after the prefix, up to the host's bytes: port, host length. */
    static final int HELLO_FIXED_BYTES = 6;
    static final int MAX_NAME_BYTES = 255;
    /** Largest header of any frame (a data frame with the longest job id). */
    static final int MAX_HEADER_BYTES = PREFIX_BYTES + DATA_FIXED_BYTES + MAX_NAME_BYTES;

    /** The stream is not a valid data-plane stream: the connection must be closed. */
    static final class FrameException extends Exception {
        FrameException(String message) {
            super(message);
        }
    }

    /** A data frame's header. {@code microBatch} is -1 except for TREE_UP. */
    record Header(Type type, String jobId, long epoch, long step, long length, int chunkSize, int microBatches,
            int members, int from, int to, int microBatch, int chunk, int count) {

        /** Payload bytes that follow the header. */
        long payloadBytes() {
            return (long) count * Float.BYTES;
        }

        SessionKey key() {
            return new SessionKey(jobId, epoch, step, type.kind(), to);
        }

        /** A short description for log lines and errors. */
        String describe() {
            return type + " job " + jobId + " epoch " + epoch + " step " + step + " rank " + from + "->" + to
                    + (microBatch >= 0 ? " micro-batch " + microBatch : "") + " chunk " + chunk + " (" + count + " values)";
        }
    }

    private Frame() {}

    /** Encodes a data frame's header (prefix, fixed part, job id) ready to write. */
    static ByteBuffer encode(Header h) {
        byte[] job = h.jobId().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(PREFIX_BYTES + DATA_FIXED_BYTES + job.length).order(ByteOrder.LITTLE_ENDIAN);
        prefix(b, h.type());
        b.putLong(h.epoch()).putLong(h.step()).putLong(h.length()).putInt(h.chunkSize()).putInt(h.microBatches())
                .putInt(h.members()).putInt(h.from()).putInt(h.to()).putInt(h.microBatch()).putInt(h.chunk())
                .putInt(h.count()).putShort((short) job.length).put(job);
        return b.flip();
    }

    /** Encodes the HELLO that opens every connection: the sender's listening host and port. */
    static ByteBuffer hello(String host, int port) {
        byte[] name = host.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > MAX_NAME_BYTES) throw new IllegalArgumentException("host name of " + name.length + " bytes");
        ByteBuffer b = ByteBuffer.allocate(PREFIX_BYTES + HELLO_FIXED_BYTES + name.length).order(ByteOrder.LITTLE_ENDIAN);
        prefix(b, Type.HELLO);
        b.putInt(port).putShort((short) name.length).put(name);
        return b.flip();
    }

    private static void prefix(ByteBuffer b, Type type) {
        b.put(MAGIC).put((byte) VERSION).put((byte) type.code).put((byte) DTYPE_FLOAT32).put((byte) 0);
    }

    /** Checks an 8-byte prefix; returns the frame type. */
    static Type readPrefix(ByteBuffer b) throws FrameException {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get() != MAGIC[i]) {
                throw new FrameException("bad magic 0x" + hex(b, 0, 4) + " (expected \"FLDP\"): not a Flock data-plane stream");
            }
        }
        int version = b.get() & 0xFF;
        if (version != VERSION) throw new FrameException("unsupported protocol version " + version + " (this node speaks " + VERSION + ")");
        int code = b.get() & 0xFF;
        Type type = Type.of(code);
        if (type == null) throw new FrameException("unknown frame type " + code);
        int dtype = b.get() & 0xFF;
        if (dtype != DTYPE_FLOAT32) throw new FrameException("unsupported value type " + dtype + " (only 1 = float32)");
        int reserved = b.get() & 0xFF;
        if (reserved != 0) throw new FrameException("reserved byte is " + reserved + ", not 0");
        return type;
    }

    /** Reads a data frame's fixed part; returns the job id's length in bytes, checked. */
    static int jobIdBytes(ByteBuffer fixed) throws FrameException {
        int n = fixed.order(ByteOrder.LITTLE_ENDIAN).getShort(DATA_FIXED_BYTES - 2) & 0xFFFF;
        if (n == 0 || n > CollectiveSpec.MAX_JOB_ID_BYTES) throw new FrameException("job id length " + n + " is outside 1.." + MAX_NAME_BYTES);
        return n;
    }

    /**
     * Decodes and checks a data frame's header from its fixed part and job id bytes: every field
     * in range, the value count exactly the length of chunk {@code chunk} of the declared vector
     * and at most {@code maxValues}. What it cannot check without the collective (the spec's
     * fields, the sender's rank) is checked when the frame is delivered.
     */
    static Header decode(Type type, ByteBuffer fixed, byte[] job, int maxValues) throws FrameException {
        fixed.order(ByteOrder.LITTLE_ENDIAN).position(0);
        long epoch = fixed.getLong();
        long step = fixed.getLong();
        long length = fixed.getLong();
        int chunkSize = fixed.getInt();
        int microBatches = fixed.getInt();
        int members = fixed.getInt();
        int from = fixed.getInt();
        int to = fixed.getInt();
        int microBatch = fixed.getInt();
        int chunk = fixed.getInt();
        int count = fixed.getInt();
        String jobId = utf8(job);
        if (length <= 0) throw new FrameException("vector length " + length + " is not positive");
        if (chunkSize <= 0) throw new FrameException("chunk size " + chunkSize + " is not positive");
        if (microBatches <= 0) throw new FrameException("micro-batch count " + microBatches + " is not positive");
        if (members <= 0 || members > CollectiveSpec.MAX_MEMBERS) throw new FrameException("member count " + members + " is outside 1.." + CollectiveSpec.MAX_MEMBERS);
        if (from < 0 || from >= members || to < 0 || to >= members) throw new FrameException("ranks " + from + "->" + to + " are outside 0.." + (members - 1));
        long chunks = (length + chunkSize - 1) / chunkSize;
        if (chunk < 0 || chunk >= chunks) throw new FrameException("chunk " + chunk + " is outside 0.." + (chunks - 1));
        long expected = Math.min(chunkSize, length - (long) chunk * chunkSize);
        if (count != expected) throw new FrameException("value count " + count + " is not chunk " + chunk + "'s length " + expected);
        if (count > maxValues) throw new FrameException("value count " + count + " exceeds max-frame (" + maxValues + " values)");
        if (type == Type.TREE_UP ? microBatch < 0 || microBatch >= microBatches : microBatch != -1) {
            throw new FrameException("micro-batch index " + microBatch + " is invalid for " + type + " of " + microBatches);
        }
        return new Header(type, jobId, epoch, step, length, chunkSize, microBatches, members, from, to, microBatch, chunk, count);
    }

    static String utf8(byte[] bytes) throws FrameException {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new FrameException("name is not valid UTF-8");
        }
    }

    private static String hex(ByteBuffer b, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) s.append(String.format("%02x", b.get(i)));
        return s.toString();
    }
}
