package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.tensor.data.DatasetSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset choice: IDX when all four files exist (plain or gzipped), else synthetic with a notice. */
class DataChoiceTest {

    static final DatasetSpec.Synthetic FALLBACK = DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 1);

    final StringWriter err = new StringWriter();

    DatasetSpec choose(Path dir, boolean synthetic) {
        return DataChoice.choose(dir, synthetic, FALLBACK, new PrintWriter(err));
    }

    @Test
    void choose_allIdxFilesPresent_usesIdx(@TempDir Path dir) throws IOException {
        for (String base : DataChoice.IDX_FILES) Files.createFile(dir.resolve(base.startsWith("t10k") ? base + ".gz" : base));

        assertEquals(new DatasetSpec.Idx(dir.toString()), choose(dir, false));
        assertEquals("", err.toString());
    }

    @Test
    void choose_filesMissing_fallsBackAndSaysHowToInstall(@TempDir Path dir) throws IOException {
        Files.createFile(dir.resolve("train-images-idx3-ubyte.gz"));

        assertEquals(FALLBACK, choose(dir, false));
        assertTrue(err.toString().startsWith("Fashion-MNIST not found at " + dir), err.toString());
        assertTrue(err.toString().contains("t10k-labels-idx1-ubyte"), err.toString());
        assertTrue(err.toString().contains("apt-get install -y dataset-fashion-mnist"), err.toString());
    }

    @Test
    void choose_syntheticForced_ignoresDirectory(@TempDir Path dir) {
        assertEquals(FALLBACK, choose(dir, true));
        assertEquals("", err.toString());
    }
}
