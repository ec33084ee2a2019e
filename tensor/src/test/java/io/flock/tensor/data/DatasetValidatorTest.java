package io.flock.tensor.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class DatasetValidatorTest {

    @Test
    void validate_cleanDataset_passes() {
        Dataset ds = new DatasetSpec.Synthetic(50, 10, 4, 3, 1).loadTrain();

        DatasetValidator.validate(ds);
    }

    @Test
    void validate_infiniteFeature_namesSampleAndFeature() {
        float[] x = {0, 1, 2, Float.POSITIVE_INFINITY};
        Dataset ds = new Dataset("d", Nd4j.create(x, new long[] {2, 2}, DataType.FLOAT), new int[] {0, 1}, 2);

        DatasetException e = assertThrows(DatasetException.class, () -> DatasetValidator.validate(ds));

        assertTrue(e.getMessage().contains("d sample 1 feature 1"), e.getMessage());
    }

    @Test
    void validate_labelOutOfRange_namesSample() {
        Dataset ds = new Dataset("d", Nd4j.zeros(DataType.FLOAT, 2, 2), new int[] {0, 5}, 2);

        DatasetException e = assertThrows(DatasetException.class, () -> DatasetValidator.validate(ds));

        assertTrue(e.getMessage().contains("d sample 1 label: label 5 out of range [0, 2)"), e.getMessage());
    }

    @Test
    void validate_emptyDataset_rejected() {
        Dataset ds = new Dataset("d", Nd4j.zeros(DataType.FLOAT, 0, 2), new int[0], 2);

        DatasetException e = assertThrows(DatasetException.class, () -> DatasetValidator.validate(ds));

        assertTrue(e.getMessage().contains("no samples"), e.getMessage());
    }
}
