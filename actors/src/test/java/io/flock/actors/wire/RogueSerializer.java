package io.flock.actors.wire;

import java.util.SplittableRandom;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Test-only stand-in for a broken or hostile peer: claims Flock's Kryo serializer id but emits
 * garbage (an unregistered class id, then seeded random bytes).
 */
public final class RogueSerializer extends SerializerWithStringManifest {

    private final SplittableRandom random = new SplittableRandom(42);

    @Override
    public int identifier() {
        return KryoSerializer.ID;
    }

    @Override
    public String manifest(Object o) {
        return "";
    }

    @Override
    public synchronized byte[] toBinary(Object o) {
        byte[] bytes = new byte[1 + random.nextInt(64)];
        random.nextBytes(bytes);
        bytes[0] = (byte) (0x80 | bytes[0]); // a multi-byte varint class id: never a registered one
        return bytes;
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) {
        throw new UnsupportedOperationException("rogue peers do not receive");
    }
}
