package io.flock.tensor.data;

import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads each dataset split once per cache and shares it among the workers and evaluators that
 * use it. One cache per node by default; an embedded multi-node cluster in one JVM shares one,
 * so three nodes do not hold three copies of Fashion-MNIST. Datasets are immutable, so sharing
 * across threads is safe.
 */
public final class DatasetCache {

    private record Key(DatasetSpec spec, boolean train) {}

    private final Map<Key, Dataset> loaded = new ConcurrentHashMap<>();

    /** The training split of {@code spec}, loaded and validated on first use. */
    public Dataset train(DatasetSpec spec) {
        return loaded.computeIfAbsent(new Key(spec, true), k -> k.spec().loadTrain());
    }

    /** The test split of {@code spec}, loaded and validated on first use. */
    public Dataset test(DatasetSpec spec) {
        return loaded.computeIfAbsent(new Key(spec, false), k -> k.spec().loadTest());
    }
}
