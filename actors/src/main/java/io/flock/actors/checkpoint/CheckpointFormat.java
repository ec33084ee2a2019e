package io.flock.actors.checkpoint;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.flock.actors.job.TrainingJob;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The payload of a format-{@value #VERSION} checkpoint file, independent of Flock's wire registry so
 * that adding a message never changes how checkpoints read. All numbers are little-endian:
 * <pre>
 *   string  jobId                        (int32 byte count, then UTF-8)
 *   int64   version                      steps applied; training resumes with step {@code version}
 *   int64   createdMillis
 *   int32   datasetSize                  training samples: with the spec, fixes the batch plan
 *   int64   epoch, int64 stepInEpoch     the batch-plan cursor of step {@code version}
 *   string  job                          the job file (HOCON) of {@link TrainingJob#toConfig()}
 *   tensor  params, tensor optimizerState
 * tensor:   string dtype (ND4J's name: FLOAT or DOUBLE), int32 rank, int64[rank] shape,
 *           int64 byte count, then the elements in row-major (c) order
 * </pre>
 * Reading checks every count against the bytes left, the cursor against the plan, and that
 * nothing trails; any failure is an {@link IllegalArgumentException} the store wraps with the file.
 */
final class CheckpointFormat {

    /** The format this build writes and the newest it reads. */
    static final int VERSION = 3;

    private static final int MAX_RANK = 32;

    private CheckpointFormat() {}

    static byte[] encode(Checkpoint c) {
        byte[] jobId = utf8(c.jobId());
        byte[] job = utf8(c.job().toConfig().root().render(ConfigRenderOptions.defaults()
                .setOriginComments(false).setComments(false).setJson(false)));
        Tensor params = Tensor.of(c.params());
        Tensor state = Tensor.of(c.optimizerState());
        long size = 4L + jobId.length + 8 + 8 + 4 + 8 + 8 + 4 + job.length + params.size() + state.size();
        if (size > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("checkpoint of " + size + " bytes exceeds 2 GiB");
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(jobId.length).put(jobId);
        out.putLong(c.version()).putLong(c.createdMillis()).putInt(c.datasetSize());
        out.putLong(c.epoch()).putLong(c.stepInEpoch());
        out.putInt(job.length).put(job);
        params.write(out);
        state.write(out);
        return out.array();
    }

    static Checkpoint decode(ByteBuffer payload) {
        ByteBuffer in = payload.slice().order(ByteOrder.LITTLE_ENDIAN);
        try {
            String jobId = string(in, "job id");
            long version = in.getLong();
            long created = in.getLong();
            int datasetSize = in.getInt();
            long epoch = in.getLong();
            long stepInEpoch = in.getLong();
            TrainingJob job = TrainingJob.fromConfig(ConfigFactory.parseString(string(in, "job spec")).resolve());
            INDArray params = tensor(in, "params");
            INDArray state = tensor(in, "optimizer state");
            if (in.hasRemaining()) throw new IllegalArgumentException(in.remaining() + " bytes trail the optimizer state");
            Checkpoint c = new Checkpoint(jobId, version, job, datasetSize, params, state, created);
            if (c.epoch() != epoch || c.stepInEpoch() != stepInEpoch) {
                throw new IllegalArgumentException("the batch-plan cursor (epoch " + epoch + ", step " + stepInEpoch
                        + ") does not match step " + version + " of the job's plan (epoch " + c.epoch() + ", step "
                        + c.stepInEpoch() + ")");
            }
            return c;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("the payload ends early, at byte " + in.position() + " of " + in.limit());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(ByteBuffer in, String what) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("the " + what + " declares " + n + " bytes at offset " + (in.position() - 4)
                    + " but " + in.remaining() + " remain");
        }
        byte[] bytes = new byte[n];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static INDArray tensor(ByteBuffer in, String what) {
        DataType dtype = Tensor.dtype(string(in, what + " dtype"), what);
        int rank = in.getInt();
        if (rank < 0 || rank > MAX_RANK) throw new IllegalArgumentException("the " + what + " has rank " + rank);
        long[] shape = new long[rank];
        long length = 1;
        for (int k = 0; k < rank; k++) {
            shape[k] = in.getLong();
            if (shape[k] < 0 || shape[k] > in.limit()) {
                throw new IllegalArgumentException("the " + what + " has dimension " + shape[k]);
            }
            length *= shape[k];
        }
        long bytes = in.getLong();
        int width = dtype.width();
        if (bytes != length * width || bytes > in.remaining()) {
            throw new IllegalArgumentException("the " + what + " of shape " + Arrays.toString(shape) + " and " + dtype
                    + " declares " + bytes + " data bytes (expected " + length * width + ", " + in.remaining() + " remain)");
        }
        ByteBuffer data = in.slice().limit((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        in.position(in.position() + (int) bytes);
        if (dtype == DataType.FLOAT) {
            float[] v = new float[(int) length];
            data.asFloatBuffer().get(v);
            return Nd4j.create(v, shape, 'c');
        }
        double[] v = new double[(int) length];
        data.asDoubleBuffer().get(v);
        return Nd4j.create(v, shape, 'c');
    }

    /** A tensor's elements copied out in c order, ready to write. */
    private record Tensor(DataType dtype, long[] shape, float[] floats, double[] doubles) {

        static Tensor of(INDArray a) {
            INDArray c = a.dup('c');
            return switch (a.dataType()) {
                case FLOAT -> new Tensor(DataType.FLOAT, a.shape(), Arrays.copyOf(c.data().asFloat(), (int) a.length()), null);
                case DOUBLE -> new Tensor(DataType.DOUBLE, a.shape(), null, Arrays.copyOf(c.data().asDouble(), (int) a.length()));
                default -> throw new IllegalArgumentException("checkpoints hold FLOAT or DOUBLE tensors, not " + a.dataType());
            };
        }

        static DataType dtype(String name, String what) {
            if (name.equals("FLOAT")) return DataType.FLOAT;
            if (name.equals("DOUBLE")) return DataType.DOUBLE;
            throw new IllegalArgumentException("the " + what + " has dtype '" + name + "'; this build reads FLOAT and DOUBLE");
        }

        long bytes() {
            return floats != null ? 4L * floats.length : 8L * doubles.length;
        }

        long size() {
            return 4 + dtype.name().length() + 4 + 8L * shape.length + 8 + bytes();
        }

        void write(ByteBuffer out) {
            byte[] name = utf8(dtype.name());
            out.putInt(name.length).put(name).putInt(shape.length);
            for (long d : shape) out.putLong(d);
            out.putLong(bytes());
            if (floats != null) {
                out.asFloatBuffer().put(floats);
            } else {
                out.asDoubleBuffer().put(doubles);
            }
            out.position(out.position() + (int) bytes());
        }
    }
}
