package io.flock.tensor.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loads an MNIST-format IDX image/label file pair, plain or gzipped (recognised by its magic
 * bytes, not its name), into a {@link Dataset} with pixels scaled to [0, 1]. Every header field
 * is checked before anything is allocated, so a corrupt file fails fast with its name and byte
 * offset instead of hanging, running out of memory or loading part of the data.
 */
final class IdxReader {

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < SCALE.length; i++) SCALE[i] = i / 255f;
    }

    private IdxReader() {}

    /** Loads {@code <dir>/<prefix>-images-idx3-ubyte[.gz]} with {@code <dir>/<prefix>-labels-idx1-ubyte[.gz]}. */
    static Dataset load(String dir, String prefix, int classes) {
        Path imagesPath = resolve(Path.of(dir), prefix + "-images-idx3-ubyte");
        Path labelsPath = resolve(Path.of(dir), prefix + "-labels-idx1-ubyte");
        try (IdxFile images = IdxFile.open(imagesPath); IdxFile labels = IdxFile.open(labelsPath)) {
            int[] imageDims = images.header(IMAGES_MAGIC, 3);
            int[] labelDims = labels.header(LABELS_MAGIC, 1);
            if (imageDims[0] != labelDims[0]) {
                throw new DatasetException(imagesPath + " holds " + imageDims[0] + " images but " + labelsPath
                        + " holds " + labelDims[0] + " labels");
            }
            int n = imageDims[0];
            int d = imageDims[1] * imageDims[2];
            byte[] pixels = images.body((long) n * d, "pixel data");
            byte[] labelBytes = labels.body(n, "label data");
            return toDataset(dir + "/" + prefix, pixels, n, d, labelBytes, classes, labels);
        }
    }

    private static Dataset toDataset(String name, byte[] pixels, int n, int d, byte[] labelBytes, int classes,
                                     IdxFile labelFile) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = labelBytes[i] & 0xFF;
        float[] x = new float[pixels.length];
        for (int k = 0; k < x.length; k++) x[k] = SCALE[pixels[k] & 0xFF];
        DatasetValidator.check(name, x, d, labels, classes,
                (row, col) -> labelFile.path + " at offset " + (labelFile.headerBytes + row));
        return new Dataset(name, Nd4j.create(x, new long[] {n, d}, DataType.FLOAT), labels, classes);
    }

    /** The plain file if it exists, else the .gz one; names both when neither exists. */
    static Path resolve(Path dir, String base) {
        Path plain = dir.resolve(base);
        if (Files.isRegularFile(plain)) return plain;
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) return gz;
        throw new DatasetException("IDX file not found: neither " + plain + " nor " + gz + " exists");
    }

    /** One open IDX file: tracks the byte offset (of the decompressed stream) for messages. */
    private static final class IdxFile implements AutoCloseable {

        /** Java arrays cannot be longer than this. */
        private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
        /** First allocation when the size is unknown (gzip); grows only as data really arrives. */
        private static final int FIRST_CHUNK = 64 << 20;
        private static final int GZIP_MAGIC = 0x1f8b;

        final Path path;
        private final DataInputStream in;
        /** Decompressed size, or -1 when unknown (gzip). */
        private final long size;
        private long offset;
        int headerBytes;

        private IdxFile(Path path, DataInputStream in, long size) {
            this.path = path;
            this.in = in;
            this.size = size;
        }

        static IdxFile open(Path path) {
            try {
                BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
                raw.mark(2);
                int magic = (raw.read() << 8) | raw.read();
                raw.reset();
                if (magic == GZIP_MAGIC) {
                    return new IdxFile(path, new DataInputStream(new GZIPInputStream(raw, 1 << 16)), -1);
                }
                return new IdxFile(path, new DataInputStream(raw), Files.size(path));
            } catch (IOException e) {
                throw new DatasetException("cannot open " + path + ": " + e.getMessage(), e);
            }
        }

        /** Reads and checks magic and dimensions; returns the dimensions. */
        int[] header(int expectedMagic, int rank) {
            int magic = readInt("magic number");
            if (magic != expectedMagic) {
                throw new DatasetException(String.format("%s: bad magic number at offset 0: expected 0x%08x, found 0x%08x",
                        path, expectedMagic, magic));
            }
            int[] dims = new int[rank];
            for (int k = 0; k < rank; k++) {
                long at = offset;
                dims[k] = readInt("dimension " + k);
                if (dims[k] < 0) {
                    throw new DatasetException(path + ": dimension " + k + " at offset " + at + " is negative: " + dims[k]);
                }
            }
            headerBytes = (int) offset;
            checkBodySize(dims);
            return dims;
        }

        private void checkBodySize(int[] dims) {
            long bytes = 1;
            for (int dim : dims) bytes *= dim;
            if (bytes > MAX_ARRAY) {
                throw new DatasetException(path + ": dimensions " + Arrays.toString(dims) + " at offset 4 describe "
                        + bytes + " bytes, more than one array can hold");
            }
            if (size >= 0 && bytes > size - offset) {
                throw truncated(size, bytes, dims.length > 1 ? "pixel data" : "label data");
            }
        }

        /** Reads exactly {@code length} bytes of data and checks that nothing follows them. */
        byte[] body(long length, String what) {
            byte[] buf = new byte[(int) Math.min(length, size >= 0 ? length : FIRST_CHUNK)];
            int got = 0;
            try {
                while (got < length) {
                    if (got == buf.length) buf = Arrays.copyOf(buf, (int) Math.min(length, 2L * buf.length));
                    int r = in.read(buf, got, buf.length - got);
                    if (r < 0) throw truncated(offset + got, length, what);
                    got += r;
                }
                offset += got;
                if (in.read() >= 0) {
                    throw new DatasetException(path + ": unexpected data after offset " + offset
                            + " (the header describes " + length + " bytes of " + what + ")");
                }
            } catch (IOException e) {
                throw new DatasetException(truncated(offset + got, length, what).getMessage() + " (" + e + ")", e);
            }
            return buf;
        }

        private int readInt(String field) {
            try {
                int v = in.readInt();
                offset += 4;
                return v;
            } catch (IOException e) {
                throw new DatasetException(path + " truncated at offset " + offset + ": expected the 4-byte " + field
                        + " (" + e + ")", e);
            }
        }

        private DatasetException truncated(long at, long expected, String what) {
            return new DatasetException(path + " truncated at offset " + at + ": expected " + expected
                    + " bytes of " + what + " starting at offset " + headerBytes);
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException e) {
                throw new DatasetException("cannot close " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
