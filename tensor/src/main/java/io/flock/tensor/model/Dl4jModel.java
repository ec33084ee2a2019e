package io.flock.tensor.model;

import io.flock.tensor.data.MiniBatch;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link Model} adapter over a DL4J {@link MultiLayerNetwork}, whose parameters and gradients are
 * already single flat views. DL4J's own updater is never used (it is a {@code NoOp}): Flock's
 * optimizers apply updates to slices of the flat vector, wherever those slices live.
 */
final class Dl4jModel implements Model {

    /** DL4J seeds a global RNG while initialising; building two nets at once must not interleave. */
    private static final Object INIT_LOCK = new Object();

    private final MultiLayerNetwork net;
    private final INDArray initial;

    private Dl4jModel(MultiLayerConfiguration conf) {
        BlasThreads.pin(); // before any gradient: cross-process bitwise reproducibility
        synchronized (INIT_LOCK) {
            this.net = new MultiLayerNetwork(conf);
            net.init();
            this.initial = net.params().dup().reshape(net.params().length());
        }
    }

    static Dl4jModel mlp(ModelSpec.Mlp spec) {
        NeuralNetConfiguration.ListBuilder list = base(spec.seed()).list();
        int in = spec.inputs();
        for (int h : spec.hidden()) {
            list.layer(new DenseLayer.Builder().nIn(in).nOut(h).activation(Activation.RELU).build());
            in = h;
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(in).nOut(spec.classes()).activation(Activation.SOFTMAX).build());
        return new Dl4jModel(list.build());
    }

    static Dl4jModel cnn(ModelSpec.Cnn spec) {
        MultiLayerConfiguration conf = base(spec.seed()).convolutionMode(ConvolutionMode.Same).list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(8).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(spec.classes()).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(spec.side(), spec.side(), spec.channels()))
                .build();
        return new Dl4jModel(conf);
    }

    private static NeuralNetConfiguration.Builder base(long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(new NoOp())
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED);
    }

    @Override
    public long numParams() {
        return initial.length();
    }

    @Override
    public INDArray initialParams() {
        return initial.dup();
    }

    @Override
    public GradientResult gradient(INDArray params, MiniBatch batch) {
        load(params);
        net.setInput(batch.features());
        net.setLabels(batch.labels());
        net.computeGradientAndScore();
        // DL4J's loss layers return the gradient of the SUM over the batch; its updater (unused
        // here) is what divides by the batch size, so the mean is taken here.
        INDArray grad = net.getFlattenedGradients().dup().reshape(initial.length()).divi(batch.size());
        double loss = net.score();
        net.clear();
        return new GradientResult(loss, grad, batch.size());
    }

    @Override
    public INDArray predict(INDArray params, INDArray features) {
        load(params);
        return net.output(features, false);
    }

    @Override
    public double accuracy(INDArray params, MiniBatch batch) {
        if (batch.size() == 0) return 0.0;
        INDArray predicted = predict(params, batch.features()).argMax(1);
        INDArray actual = batch.labels().argMax(1);
        long correct = predicted.eq(actual).castTo(DataType.INT32).sumNumber().longValue();
        return (double) correct / batch.size();
    }

    private void load(INDArray params) {
        if (params.length() != initial.length()) {
            throw new IllegalArgumentException("parameter vector has length " + params.length()
                    + " but the model has " + initial.length() + " parameters");
        }
        net.params().assign(params.reshape(net.params().shape()));
    }
}
