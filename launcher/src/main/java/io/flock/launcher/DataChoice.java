package io.flock.launcher;

import io.flock.tensor.data.DatasetSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Picks a run's dataset: the IDX files in a directory when all four are there (plain or .gz),
 * otherwise synthetic Fashion-MNIST-shaped data, saying why and how to install the real thing.
 */
final class DataChoice {

    static final List<String> IDX_FILES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    private DataChoice() {}

    /**
     * @param dir       where to look, or null for synthetic data without a notice
     * @param synthetic true to skip the look-up
     * @param fallback  the synthetic data to use instead
     * @param err       where the fallback notice goes
     */
    static DatasetSpec choose(Path dir, boolean synthetic, DatasetSpec.Synthetic fallback, PrintWriter err) {
        if (synthetic || dir == null) return fallback;
        List<String> missing = missingIdxFiles(dir);
        if (missing.isEmpty()) return new DatasetSpec.Idx(dir.toString());
        err.println("Fashion-MNIST not found at " + dir + " (missing " + String.join(", ", missing)
                + "); install with `apt-get install -y dataset-fashion-mnist`; training on synthetic data instead");
        err.flush();
        return fallback;
    }

    /** The IDX base names with neither a plain nor a .gz file in {@code dir}. */
    static List<String> missingIdxFiles(Path dir) {
        return IDX_FILES.stream()
                .filter(base -> !Files.isRegularFile(dir.resolve(base)) && !Files.isRegularFile(dir.resolve(base + ".gz")))
                .toList();
    }
}
