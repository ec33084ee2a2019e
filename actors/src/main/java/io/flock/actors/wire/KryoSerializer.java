package io.flock.actors.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.ByteBufferInput;
import com.esotericsoftware.kryo.io.ByteBufferOutput;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.io.NotSerializableException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * The Pekko serializer for every {@link FlockMessage}: Kryo with registration required (see
 * {@link WireRegistry}, ids from a {@link WireIds} table), writing straight into Artery's buffers. Decoding failures — truncated
 * bytes, an unregistered class id, a corrupt length, a manifest (Flock writes none), a registered
 * value that is not a {@link FlockMessage} — surface as {@link NotSerializableException} naming the
 * problem; Artery logs and drops that one message and the node keeps running. Lengths are checked
 * against the bytes received before anything is allocated, and nesting is bounded
 * ({@link WireRegistry#MAX_DEPTH}), so no input costs more memory or stack than its own size
 * warrants (KryoFuzzTest).
 *
 * <p>Pekko instantiates the subclass bound in {@code pekko-defaults.conf}
 * (the {@code FlockSerializer} of the serialization package), which supplies Flock's table and counts
 * decoding failures in the node's metrics; this class knows neither.
 */
public class KryoSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {

    /** Serializer id; unique among this system's serializers. */
    public static final int ID = 7_400_001;

    private final Pool<Kryo> pool;
    private final Runnable onError;

    /**
     * @param table   the classes allowed on the wire and their ids (checked complete here)
     * @param onError called once for every message that cannot be decoded (a metrics counter)
     */
    protected KryoSerializer(ExtendedActorSystem system, WireIds table, Runnable onError) {
        table.checkComplete();
        ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
        this.onError = onError;
        this.pool = new Pool<>(true, false, 32) {
            @Override
            protected Kryo create() {
                return WireRegistry.newKryo(table, resolver);
            }
        };
    }

    @Override
    public int identifier() {
        return ID;
    }

    @Override
    public String manifest(Object o) {
        return "";
    }

    @Override
    public byte[] toBinary(Object o) {
        Output out = new Output(4096, -1);
        write(o, out);
        return out.toBytes();
    }

    @Override
    public void toBinary(Object o, ByteBuffer buf) {
        ByteBufferOutput out = new ByteBufferOutput(buf);
        try {
            write(o, out);
        } catch (KryoBufferOverflowException e) {
            throw new BufferOverflowException();
        }
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        checkManifest(manifest, bytes.length);
        return read(new Input(bytes), bytes.length);
    }

    @Override
    public Object fromBinary(ByteBuffer buf, String manifest) throws NotSerializableException {
        int size = buf.remaining();
        ByteBuffer view = buf.slice();
        buf.position(buf.limit());
        checkManifest(manifest, size);
        return read(new ByteBufferInput(view), size);
    }

    /** Flock writes no manifest: one means another serializer, or another version of this one. */
    private void checkManifest(String manifest, int size) throws NotSerializableException {
        if (manifest != null && !manifest.isEmpty()) {
            onError.run();
            throw new NotSerializableException("cannot decode Flock message of " + size + " bytes: unexpected manifest '"
                    + (manifest.length() <= 80 ? manifest : manifest.substring(0, 80) + "...")
                    + "' (Flock's Kryo serializer writes none)");
        }
    }

    private void write(Object o, Output out) {
        Kryo kryo = pool.obtain();
        try {
            kryo.writeClassAndObject(out, o);
            out.flush();
        } finally {
            pool.free(kryo);
        }
    }

    /** Decodes one message; a failure is counted in the node's metrics and thrown. */
    private Object read(Input in, int size) throws NotSerializableException {
        try {
            return decode(in, size);
        } catch (NotSerializableException e) {
            onError.run();
            throw e;
        }
    }

    private Object decode(Input in, int size) throws NotSerializableException {
        Kryo kryo = pool.obtain();
        boolean clean = false;
        try {
            Object o = kryo.readClassAndObject(in);
            if (o == null) throw new NotSerializableException("Flock message of " + size + " bytes decoded to null");
            if (!(o instanceof FlockMessage)) {
                throw new NotSerializableException("Flock message of " + size + " bytes decoded to a "
                        + o.getClass().getSimpleName() + ", which is a registered value but not a message");
            }
            if (in.position() != size) {
                throw new NotSerializableException("Flock message of " + size + " bytes has " + (size - in.position())
                        + " trailing bytes after a " + o.getClass().getSimpleName());
            }
            clean = true;
            return o;
        } catch (RuntimeException e) {
            // Kryo's own errors, and whatever a record's constructor or ND4J throws on values no
            // sender wrote (IllegalArgumentException, NullPointerException, ArrayStoreException...).
            throw new NotSerializableException("cannot decode Flock message of " + size + " bytes: " + describe(e));
        } finally {
            // A Kryo that failed mid-graph may hold partial state: drop it instead of reusing it.
            if (clean) pool.free(kryo);
        }
    }

    /** The exception's message, or its type where it has none; the innermost cause Kryo wrapped. */
    private static String describe(Throwable e) {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        if (e instanceof KryoException && cause != null && cause != e && (message == null || message.equals(cause.toString()))) {
            return describe(cause);
        }
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
