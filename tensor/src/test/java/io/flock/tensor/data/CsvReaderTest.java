package io.flock.tensor.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {

    @TempDir
    Path dir;

    @Test
    void load_withHeader_skipsItAndParsesRows() throws IOException {
        String file = write("label,a,b\n1,0.5,2\n0,-1,3.25\n");

        Dataset ds = CsvReader.load(file, 2);

        assertEquals(2, ds.size());
        assertEquals(2, ds.inputs());
        assertEquals(1, ds.label(0));
        assertEquals(0, ds.label(1));
        assertEquals(3.25f, ds.features().getFloat(1, 1));
    }

    @Test
    void load_withoutHeader_keepsFirstRow() throws IOException {
        String file = write("1,0.5,2\n\n0,-1,3\n");

        Dataset ds = CsvReader.load(file, 2);

        assertEquals(2, ds.size());
        assertEquals(0.5f, ds.features().getFloat(0, 0));
    }

    @Test
    void load_nan_namesLineAndColumn() throws IOException {
        String file = write("label,a,b\n1,0.5,2\n0,NaN,3\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, file + " line 3 column 2");
        assertContains(e, "not finite");
    }

    @Test
    void load_infinity_rejected() throws IOException {
        String file = write("1,0.5,Infinity\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "line 1 column 3");
    }

    @Test
    void load_unparseableValue_namesLineAndColumn() throws IOException {
        String file = write("1,0.5,2\n0,abc,3\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "line 2 column 2: value 'abc' is not a number");
    }

    @Test
    void load_raggedRow_namesBothLines() throws IOException {
        String file = write("h,a,b\n1,0.5,2\n0,1\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "line 3: has 2 columns but line 2 has 3");
    }

    @Test
    void load_labelOutOfRange_namesLine() throws IOException {
        String file = write("1,0.5\n2,0.5\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "line 2 column 1: label 2 out of range [0, 2)");
    }

    @Test
    void load_negativeLabel_rejected() throws IOException {
        String file = write("-1,0.5\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "label -1 out of range");
    }

    @Test
    void load_emptyFile_clearError() throws IOException {
        String file = write("");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "no data rows");
    }

    @Test
    void load_headerOnly_clearError() throws IOException {
        String file = write("label,a\n");

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, "no data rows");
    }

    @Test
    void load_missingFile_namesIt() {
        String file = dir.resolve("absent.csv").toString();

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e, file);
    }

    @Test
    void load_manyRows_growsBuffers() throws IOException {
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 3000; i++) csv.append(i % 3).append(',').append(i).append(",1\n");

        Dataset ds = CsvReader.load(write(csv.toString()), 3);

        assertEquals(3000, ds.size());
        assertEquals(2999f, ds.features().getFloat(2999, 0));
        assertEquals(2999 % 3, ds.label(2999));
    }

    private String write(String content) throws IOException {
        Path file = dir.resolve("data.csv");
        Files.writeString(file, content);
        return file.toString();
    }

    private static void assertContains(Exception e, String part) {
        assertTrue(e.getMessage().contains(part), () -> "message '" + e.getMessage() + "' lacks '" + part + "'");
    }
}
