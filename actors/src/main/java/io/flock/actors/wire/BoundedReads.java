package io.flock.actors.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * Length checks in front of Kryo's own array and String readers, which allocate whatever count
 * the input declares before reading a single element: a corrupt or hostile count near
 * {@code Integer.MAX_VALUE} would cost gigabytes of heap or an OutOfMemoryError. Each check
 * compares the declared count with the bytes left in the message (every element takes at least
 * {@code minBytes} bytes on the wire) and throws a {@link KryoException} naming both.
 */
final class BoundedReads {

    private BoundedReads() {}

    /** Bytes left in {@code input}; unbounded when it reads from a stream (Flock's never do). */
    static long remaining(Input input) {
        return input.getInputStream() == null ? input.limit() - input.position() : Long.MAX_VALUE;
    }

    /** Throws unless {@code count} elements of at least {@code minBytes} each fit in what is left. */
    static void checkCount(Input input, long count, int minBytes, String what) {
        long left = remaining(input);
        if (count > left / minBytes) {
            throw new KryoException(what + " declares " + count + " elements (at least " + minBytes
                    + " byte" + (minBytes == 1 ? "" : "s") + " each) but only " + left + " bytes remain");
        }
    }

    /** Kryo's {@link Input#readString()} after checking the declared UTF-8 char count; may return null. */
    static String readString(Input input) {
        int start = input.position();
        if (input.readVarIntFlag()) { // Kryo's non-ASCII form: a flagged varint of charCount + 1 (0 = null)
            int chars = input.readVarIntFlag(true) - 1;
            if (chars < -1) throw new KryoException("a string declares a negative length: " + chars);
            checkCount(input, chars, 1, "a string");
            input.setPosition(start);
        }
        // The ASCII form ends at the first byte with its high bit set: bounded by the input itself.
        return input.readString();
    }

    /** The String serializer for Flock's Kryo: Kryo's format, bounded. */
    static final class StringSerializer extends Serializer<String> {
        StringSerializer() {
            setImmutable(true);
            setAcceptsNull(true);
        }

        @Override
        public void write(Kryo kryo, Output output, String value) {
            output.writeString(value);
        }

        @Override
        public String read(Kryo kryo, Input input, Class<? extends String> type) {
            return readString(input);
        }
    }

    /**
     * String[] in the format of Kryo's own serializer (which reads its elements with the unbounded
     * {@link Input#readString()}): varint length + 1 (0 = null), then each element as a string.
     */
    static final class StringArraySerializer extends Serializer<String[]> {
        StringArraySerializer() {
            setAcceptsNull(true);
        }

        @Override
        public void write(Kryo kryo, Output output, String[] value) {
            if (value == null) {
                output.writeByte(0);
                return;
            }
            output.writeVarInt(value.length + 1, true);
            for (String s : value) output.writeString(s);
        }

        @Override
        public String[] read(Kryo kryo, Input input, Class<? extends String[]> type) {
            int length = input.readVarInt(true) - 1;
            if (length == -1) return null;
            if (length < -1) throw new KryoException("a String[] declares a negative length: " + length);
            checkCount(input, length, 1, "a String[]");
            String[] out = new String[length];
            for (int i = 0; i < length; i++) out[i] = readString(input);
            return out;
        }

        @Override
        public String[] copy(Kryo kryo, String[] original) {
            return original.clone();
        }
    }

    /**
     * Wraps one of Kryo's array serializers (length written as varint {@code length + 1}, 0 for
     * null): checks the length against the bytes left, then lets the delegate read.
     */
    static final class ArraySerializer<T> extends Serializer<T> {
        private final Serializer<T> delegate;
        private final int minBytes;

        ArraySerializer(Serializer<T> delegate, int minBytes) {
            super(delegate.getAcceptsNull(), delegate.isImmutable());
            this.delegate = delegate;
            this.minBytes = minBytes;
        }

        @Override
        public void write(Kryo kryo, Output output, T value) {
            delegate.write(kryo, output, value);
        }

        @Override
        public T read(Kryo kryo, Input input, Class<? extends T> type) {
            int start = input.position();
            long length = input.readVarInt(true) - 1L;
            if (length < -1) throw new KryoException("a " + type.getComponentType().getSimpleName()
                    + "[] declares a negative length: " + length);
            checkCount(input, length, minBytes, "a " + type.getComponentType().getSimpleName() + "[]");
            input.setPosition(start);
            return delegate.read(kryo, input, type);
        }

        @Override
        public T copy(Kryo kryo, T original) {
            return delegate.copy(kryo, original);
        }
    }

    /** Fewest wire bytes one element of {@code component} takes in Kryo's array encodings. */
    static int minElementBytes(Class<?> component) {
        if (component == float.class) return 4;
        if (component == double.class) return 8;
        return 1; // varints, booleans, bytes, a null marker or a class id for objects and nested arrays
    }
}
