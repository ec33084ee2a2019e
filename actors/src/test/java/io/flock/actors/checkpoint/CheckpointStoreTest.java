package io.flock.actors.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.job.TrainingJob;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointStoreTest {

    @TempDir
    Path dir;

    static Checkpoint checkpoint(String job, long version) {
        TrainingJob spec = TrainingJob.builder().jobId(job).model(new ModelSpec.Mlp(4, new int[] {3}, 2, 1))
                .dataset(new DatasetSpec.Synthetic(64, 8, 4, 2, 1)).globalBatch(8).microBatches(2).steps(100).build();
        return new Checkpoint(job, version, spec, 64, Nd4j.rand(DataType.FLOAT, 23), Nd4j.rand(DataType.FLOAT, 2, 23), 42L);
    }

    @Test
    void write_thenRead_roundTripsEverything() {
        CheckpointStore store = new CheckpointStore(dir, 3);
        Checkpoint c = checkpoint("j", 20);
        Path file = store.write(c);
        Checkpoint back = CheckpointStore.read(file);
        assertEquals(c.version(), back.version());
        assertEquals(c.job(), back.job());
        assertEquals(c.params(), back.params());
        assertEquals(c.optimizerState(), back.optimizerState());
        assertEquals(file.getFileName().toString(), "j-000000000020.ckpt");
        assertEquals(List.of(file), store.files("j"), "no temporary file is left behind");
    }

    @Test
    void write_keepsOnlyTheNewest() {
        CheckpointStore store = new CheckpointStore(dir, 2);
        for (long v : new long[] {10, 20, 30}) store.write(checkpoint("j", v));
        store.write(checkpoint("other", 5));
        assertEquals(List.of("j-000000000020.ckpt", "j-000000000030.ckpt"),
                store.files("j").stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(1, store.files("other").size());
    }

    @Test
    void read_truncatedFile_namesFileAndLengths() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void read_flippedBit_failsTheChecksum() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(file, bytes);
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
    }

    @Test
    void read_notACheckpoint_saysSo() throws Exception {
        Path file = dir.resolve("j-000000000001.ckpt");
        Files.writeString(file, "this is not a checkpoint, just text long enough");
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains("not a Flock checkpoint"), e.getMessage());
    }

    @Test
    void latestValid_skipsCorruptNewest_andReportsWhy() throws Exception {
        CheckpointStore store = new CheckpointStore(dir, 3);
        store.write(checkpoint("j", 20));
        Path newest = store.write(checkpoint("j", 40));
        Files.write(newest, new byte[] {1, 2, 3});
        CheckpointStore.Found found = store.latestValid("j");
        assertEquals(20, found.checkpoint().version());
        assertEquals(1, found.rejected().size());
        assertTrue(found.rejected().get(0).contains(newest.toString()), found.rejected().get(0));
    }

    @Test
    void latestValid_nothingUsable_returnsNoCheckpoint() {
        CheckpointStore.Found found = new CheckpointStore(dir.resolve("missing"), 3).latestValid("j");
        assertNull(found.checkpoint());
        assertTrue(found.rejected().isEmpty());
    }

    @Test
    void read_newerFormat_namesFileItsVersionAndTheNewestThisBuildReads() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        setFormat(file, CheckpointStore.FORMAT_VERSION + 1);
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains(file.toString())
                && e.getMessage().contains("format version " + (CheckpointStore.FORMAT_VERSION + 1))
                && e.getMessage().contains("newer Flock")
                && e.getMessage().contains("up to " + CheckpointStore.FORMAT_VERSION), e.getMessage());
    }

    @Test
    void read_format2KryoFile_saysAnOlderFlockWroteIt() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        setFormat(file, 2);
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("format version 2")
                && e.getMessage().contains("older Flock") && e.getMessage().contains("cannot resume"), e.getMessage());
    }

    @Test
    void read_wrongMagic_saysItIsNoCheckpoint() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] = 'X';
        Files.write(file, bytes);
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("bad magic"), e.getMessage());
    }

    @Test
    void read_corruptPayloadWithMatchingChecksum_isUndecodable() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        byte[] bytes = Files.readAllBytes(file);
        int payload = CheckpointStore.HEADER;
        bytes[payload + 3] = 0x7f; // the job id's byte count becomes huge
        rewriteChecksum(bytes);
        Files.write(file, bytes);
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("undecodable")
                && e.getMessage().contains("job id declares"), e.getMessage());
    }

    @Test
    void read_cursorThatDisagreesWithThePlan_isRefused() throws Exception {
        Path file = new CheckpointStore(dir, 3).write(checkpoint("j", 20));
        byte[] bytes = Files.readAllBytes(file);
        int epochAt = CheckpointStore.HEADER + 4 + 1 + 8 + 8 + 4; // after job id "j", version, created, dataset size
        assertEquals(2, bytes[epochAt], "step 20 of 8 per epoch is in epoch 2");
        bytes[epochAt] = 3;
        rewriteChecksum(bytes);
        Files.write(file, bytes);
        var e = assertThrows(CheckpointException.class, () -> CheckpointStore.read(file));
        assertTrue(e.getMessage().contains("batch-plan cursor (epoch 3, step 4)"), e.getMessage());
    }

    @Test
    void write_thenRead_keepsTheCursorAndEveryJobField() {
        Checkpoint c = checkpoint("j", 21);
        Checkpoint back = CheckpointStore.read(new CheckpointStore(dir, 3).write(c));
        assertEquals(2, back.epoch());
        assertEquals(5, back.stepInEpoch());
        assertEquals(c.datasetSize(), back.datasetSize());
        assertEquals(c.createdMillis(), back.createdMillis());
        assertEquals(c.jobId(), back.jobId());
        assertEquals(c.job(), back.job());
    }

    @Test
    void write_doubleTensors_roundTripBitwise() {
        Checkpoint c = checkpoint("j", 20);
        Checkpoint d = new Checkpoint("j", 20, c.job(), 64, Nd4j.rand(DataType.DOUBLE, 23),
                Nd4j.rand(DataType.DOUBLE, 3, 23), 1L);
        Checkpoint back = CheckpointStore.read(new CheckpointStore(dir, 3).write(d));
        assertEquals(DataType.DOUBLE, back.params().dataType());
        assertEquals(d.params(), back.params());
        assertEquals(d.optimizerState(), back.optimizerState());
    }

    private static void setFormat(Path file, int format) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        java.nio.ByteBuffer.wrap(bytes).putInt(CheckpointStore.MAGIC.length, format);
        Files.write(file, bytes);
    }

    private static void rewriteChecksum(byte[] bytes) {
        int length = bytes.length - CheckpointStore.HEADER - CheckpointStore.TRAILER;
        var crc = new java.util.zip.CRC32C();
        crc.update(bytes, CheckpointStore.HEADER, length);
        java.nio.ByteBuffer.wrap(bytes).putLong(CheckpointStore.HEADER + length, crc.getValue());
    }
}
