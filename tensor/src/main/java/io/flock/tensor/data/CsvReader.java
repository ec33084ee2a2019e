package io.flock.tensor.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loads a CSV file whose first column is the integer label and the remaining columns float
 * features into a {@link Dataset}. A first line whose first field is not a number is a header
 * and skipped; blank lines are ignored; every other problem names the file, line and column.
 */
final class CsvReader {

    private CsvReader() {}

    static Dataset load(String file, int classes) {
        Rows rows = new Rows(file);
        try (BufferedReader reader = Files.newBufferedReader(Path.of(file))) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank() || (lineNo == 1 && isHeader(line))) continue;
                rows.add(line, lineNo);
            }
        } catch (NoSuchFileException e) {
            throw new DatasetException("CSV file not found: " + file, e);
        } catch (IOException e) {
            throw new DatasetException("cannot read " + file + ": " + e, e);
        }
        return rows.toDataset(classes);
    }

    private static boolean isHeader(String line) {
        try {
            Double.parseDouble(line.split(",", 2)[0].trim());
            return false;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** Parsed rows, growing as lines arrive; remembers each row's line number for messages. */
    private static final class Rows {
        private final String file;
        private float[] features = new float[1024];
        private int[] labels = new int[64];
        private int[] lines = new int[64];
        private int n;
        private int cols = -1;
        private int firstLine;

        Rows(String file) {
            this.file = file;
        }

        void add(String line, int lineNo) {
            String[] fields = line.split(",", -1);
            if (cols < 0) {
                if (fields.length < 2) throw error(lineNo, 1, "needs a label and at least one feature, found "
                        + fields.length + " column(s)");
                cols = fields.length - 1;
                firstLine = lineNo;
            } else if (fields.length - 1 != cols) {
                throw new DatasetException(file + " line " + lineNo + ": has " + fields.length + " columns but line "
                        + firstLine + " has " + (cols + 1));
            }
            grow();
            labels[n] = parseLabel(fields[0], lineNo);
            lines[n] = lineNo;
            for (int j = 0; j < cols; j++) features[n * cols + j] = parseFeature(fields[j + 1], lineNo, j + 2);
            n++;
        }

        private void grow() {
            if (n == labels.length) {
                labels = Arrays.copyOf(labels, 2 * n);
                lines = Arrays.copyOf(lines, 2 * n);
            }
            long needed = (long) (n + 1) * cols;
            if (needed > features.length) {
                if (needed > Integer.MAX_VALUE - 8) throw error(lines[Math.max(n - 1, 0)], 1, "too many values for one array");
                features = Arrays.copyOf(features, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, 2L * features.length)));
            }
        }

        private int parseLabel(String field, int lineNo) {
            try {
                return Integer.parseInt(field.trim());
            } catch (NumberFormatException e) {
                throw error(lineNo, 1, "label '" + field + "' is not an integer");
            }
        }

        private float parseFeature(String field, int lineNo, int column) {
            try {
                return Float.parseFloat(field.trim());
            } catch (NumberFormatException e) {
                throw error(lineNo, column, "value '" + field + "' is not a number");
            }
        }

        private DatasetException error(int lineNo, int column, String what) {
            return new DatasetException(file + " line " + lineNo + " column " + column + ": " + what);
        }

        Dataset toDataset(int classes) {
            if (n == 0) throw new DatasetException(file + ": no data rows (the file is empty or only has a header)");
            float[] x = Arrays.copyOf(features, n * cols);
            int[] y = Arrays.copyOf(labels, n);
            DatasetValidator.check(file, x, cols, y, classes,
                    (row, col) -> file + " line " + lines[row] + " column " + (col == DatasetValidator.LABEL ? 1 : col + 2));
            return new Dataset(file, Nd4j.create(x, new long[] {n, cols}, DataType.FLOAT), y, classes);
        }
    }
}
