package io.flock.tensor.data;

import static io.flock.tensor.TestAsserts.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

    static Stream<Arguments> malformedFiles() {
        return Stream.of(
                Arguments.of("NaN feature", "label,a,b\n1,0.5,2\n0,NaN,3\n", "line 3 column 2: feature value NaN is not finite"),
                Arguments.of("infinite feature", "1,0.5,Infinity\n", "line 1 column 3: feature value Infinity is not finite"),
                Arguments.of("unparseable value", "1,0.5,2\n0,abc,3\n", "line 2 column 2: value 'abc' is not a number"),
                Arguments.of("non-integer label", "1.5,0.5\n", "line 1 column 1: label '1.5' is not an integer"),
                Arguments.of("ragged row", "h,a,b\n1,0.5,2\n0,1\n", "line 3: has 2 columns but line 2 has 3"),
                Arguments.of("label too large", "1,0.5\n2,0.5\n", "line 2 column 1: label 2 out of range [0, 2)"),
                Arguments.of("negative label", "-1,0.5\n", "line 1 column 1: label -1 out of range [0, 2)"),
                Arguments.of("label only", "1\n", "line 1 column 1: needs a label and at least one feature"),
                Arguments.of("empty file", "", "no data rows"),
                Arguments.of("header only", "label,a\n", "no data rows"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedFiles")
    void load_malformedFile_errorNamesFileLineAndColumn(String why, String content, String expected) throws IOException {
        String message = failureOf(content);

        assertContains(message, dir.resolve("data.csv").toString());
        assertContains(message, expected);
    }

    @Test
    void load_missingFile_namesIt() {
        String file = dir.resolve("absent.csv").toString();

        DatasetException e = assertThrows(DatasetException.class, () -> CsvReader.load(file, 2));

        assertContains(e.getMessage(), file);
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

    private String failureOf(String content) throws IOException {
        String file = write(content);
        return assertThrows(DatasetException.class, () -> CsvReader.load(file, 2)).getMessage();
    }

    private String write(String content) throws IOException {
        Path file = dir.resolve("data.csv");
        Files.writeString(file, content);
        return file.toString();
    }

}
