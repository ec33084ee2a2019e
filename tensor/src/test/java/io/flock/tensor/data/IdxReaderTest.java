package io.flock.tensor.data;

import static io.flock.tensor.TestAsserts.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class IdxReaderTest {

    private static final int N = 5;
    private static final int SIDE = 3;
    private static final int PIXELS = N * SIDE * SIDE;

    @TempDir
    Path dir;

    @Test
    void load_plainFiles_roundTripsPixelsAndLabels() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), false);

        Dataset ds = IdxReader.load(dir.toString(), "train", 4);

        assertEquals(N, ds.size());
        assertEquals(SIDE * SIDE, ds.inputs());
        for (int i = 0; i < N; i++) assertEquals(i % 4, ds.label(i));
        INDArray x = ds.features();
        assertEquals(0f, x.getFloat(0, 0));
        assertEquals(7 * 37 % 256 / 255f, x.getFloat(0, 7), 1e-7);
        assertEquals((PIXELS - 1) * 37 % 256 / 255f, x.getFloat(N - 1, SIDE * SIDE - 1), 1e-7);
    }

    @Test
    void load_gzippedFiles_detectedByMagicEvenWithoutGzName() throws IOException {
        byte[] images = gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {N, SIDE, SIDE}, pixels(PIXELS)));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), images);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"),
                gzip(idx(IdxReader.LABELS_MAGIC, new int[] {N}, labels(N, 4))));

        Dataset ds = IdxReader.load(dir.toString(), "t10k", 4);

        assertEquals(N, ds.size());
        assertEquals(3 * 37 % 256 / 255f, ds.features().getFloat(0, 3), 1e-7);
        assertEquals(3, ds.label(3));
    }

    @Test
    void load_bothPlainAndGz_prefersPlain() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), false);
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), new byte[] {1, 2, 3});

        assertEquals(N, IdxReader.load(dir.toString(), "train", 4).size());
    }

    @Test
    void load_missingFile_namesBothCandidates() {
        String message = loadFailure();

        assertContains(message, dir.resolve("train-images-idx3-ubyte").toString());
        assertContains(message, dir.resolve("train-images-idx3-ubyte.gz").toString());
    }

    @Test
    void load_wrongMagic_saysExpectedAndFound() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), false);
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(0x00000801, new int[] {N, SIDE, SIDE}, pixels(PIXELS)));

        String message = loadFailure();

        assertContains(message, "train-images-idx3-ubyte");
        assertContains(message, "offset 0");
        assertContains(message, "expected 0x00000803, found 0x00000801");
    }

    @Test
    void load_truncatedImages_namesFileOffsetAndExpectedBytes() throws IOException {
        writePair("train", Arrays.copyOf(pixels(PIXELS), PIXELS - 10), labels(N, 4), false);

        String message = loadFailure();

        assertContains(message, "train-images-idx3-ubyte truncated at offset " + (16 + PIXELS - 10));
        assertContains(message, "expected " + PIXELS + " bytes of pixel data");
    }

    @Test
    void load_truncatedGzippedImages_namesOffsetWhereDataEnds() throws IOException {
        writePair("train", Arrays.copyOf(pixels(PIXELS), PIXELS - 10), labels(N, 4), true);

        String message = loadFailure();

        assertContains(message, "truncated at offset " + (16 + PIXELS - 10));
    }

    @Test
    void load_truncatedLabels_namesLabelFile() throws IOException {
        writePair("train", pixels(PIXELS), Arrays.copyOf(labels(N, 4), N - 2), false);

        String message = loadFailure();

        assertContains(message, "train-labels-idx1-ubyte truncated at offset " + (8 + N - 2));
        assertContains(message, "expected " + N + " bytes of label data");
    }

    @Test
    void load_absurdDimensions_failsBeforeAllocating() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), false);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), new byte[0]);
        Files.write(dir.resolve("train-images-idx3-ubyte"),
                idx(IdxReader.IMAGES_MAGIC, new int[] {N, 1 << 20, 1 << 20}, pixels(PIXELS)));

        String message = loadFailure();

        assertContains(message, "more than one array can hold");
    }

    @Test
    void load_gzipHeaderClaimingHugeBody_failsAsTruncated() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), true);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"),
                gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {N, 20000, 20000}, pixels(PIXELS))));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(idx(IdxReader.LABELS_MAGIC, new int[] {N}, labels(N, 4))));

        String message = loadFailure();

        assertContains(message, "truncated at offset " + (16 + PIXELS));
        assertContains(message, "expected " + (long) N * 20000 * 20000 + " bytes of pixel data");
    }

    @Test
    void load_negativeDimension_namesItsOffset() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), false);
        Files.write(dir.resolve("train-images-idx3-ubyte"),
                idx(IdxReader.IMAGES_MAGIC, new int[] {N, -3, SIDE}, pixels(PIXELS)));

        String message = loadFailure();

        assertContains(message, "dimension 1 at offset 8 is negative");
    }

    @Test
    void load_countMismatch_namesBothFiles() throws IOException {
        writePair("train", pixels(PIXELS), labels(N, 4), false);
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(IdxReader.LABELS_MAGIC, new int[] {N - 1}, labels(N - 1, 4)));

        String message = loadFailure();

        assertContains(message, "holds " + N + " images");
        assertContains(message, "holds " + (N - 1) + " labels");
    }

    @Test
    void load_labelOutOfRange_namesLabelFileAndOffset() throws IOException {
        byte[] labels = labels(N, 4);
        labels[3] = 9;
        writePair("train", pixels(PIXELS), labels, false);

        String message = loadFailure();

        assertContains(message, "train-labels-idx1-ubyte at offset " + (8 + 3));
        assertContains(message, "label 9 out of range [0, 4)");
    }

    @Test
    void load_trailingBytes_rejected() throws IOException {
        writePair("train", Arrays.copyOf(pixels(PIXELS), PIXELS + 4), labels(N, 4), false);

        String message = loadFailure();

        assertContains(message, "unexpected data after offset " + (16 + PIXELS));
    }

    @Test
    void load_realFashionMnist_hasExpectedSizesAndRange() {
        Path fashion = Path.of(DatasetSpec.Idx.DEBIAN_FASHION_MNIST);
        assumeTrue(Files.isDirectory(fashion), "Fashion-MNIST not installed");

        Dataset train = new DatasetSpec.Idx(fashion.toString()).loadTrain();
        Dataset test = new DatasetSpec.Idx(fashion.toString()).loadTest();

        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        assertEquals(784, train.inputs());
        assertEquals(0.0, train.features().minNumber().doubleValue());
        assertEquals(1.0, train.features().maxNumber().doubleValue(), 1e-6);
    }


    private String loadFailure() {
        return assertThrows(DatasetException.class, () -> IdxReader.load(dir.toString(), "train", 4)).getMessage();
    }

    private void writePair(String prefix, byte[] pixels, byte[] labels, boolean gz) throws IOException {
        byte[] images = idx(IdxReader.IMAGES_MAGIC, new int[] {N, SIDE, SIDE}, pixels);
        byte[] labelFile = idx(IdxReader.LABELS_MAGIC, new int[] {N}, labels);
        String suffix = gz ? ".gz" : "";
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte" + suffix), gz ? gzip(images) : images);
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte" + suffix), gz ? gzip(labelFile) : labelFile);
    }

    private static byte[] pixels(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 37 % 256);
        return b;
    }

    private static byte[] labels(int n, int classes) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i % classes);
        return b;
    }

    static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) out.writeInt(d);
        out.write(body);
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }
}
