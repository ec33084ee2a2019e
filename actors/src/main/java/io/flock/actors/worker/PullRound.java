package io.flock.actors.worker;

/**
 * Bookkeeping of one round of pulls, one per shard, under a request id: which shards have
 * answered, whether a retry or the step delay of a given request is still due. Request ids only
 * grow (for the worker's lifetime), so an answer to a superseded round is never taken for the
 * current one. Pure state; {@link ShardPuller} sends the messages.
 */
final class PullRound {

    private long request;
    /** Null when no round is open (none begun yet, or cancelled). */
    private boolean[] answered;
    private int missing;
    private long startNanos;

    /** Opens a new round over {@code shards} shards at {@code nowNanos}; returns its request id. */
    long begin(int shards, long nowNanos) {
        request++;
        answered = new boolean[shards];
        missing = shards;
        startNanos = nowNanos;
        return request;
    }

    /** The id of the latest round. */
    long request() {
        return request;
    }

    /** Shards of the open round that have not answered. */
    int missing() {
        return missing;
    }

    /** Whether an answer of {@code shard} to {@code requestId} is awaited (not superseded, not a duplicate). */
    boolean accepts(int shard, long requestId) {
        return answered != null && requestId == request && !answered[shard];
    }

    /** Records the answer of {@code shard}; true when it was the last one missing. */
    boolean arrived(int shard) {
        answered[shard] = true;
        return --missing == 0;
    }

    /** Whether the open round still waits for {@code shard}. */
    boolean waitsFor(int shard) {
        return answered != null && !answered[shard];
    }

    /** Whether a retry timer of {@code requestId} should ask the silent shards again. */
    boolean retryDue(long requestId) {
        return answered != null && requestId == request && missing > 0;
    }

    /** Whether round {@code requestId} is the open one and complete (its step delay may end it). */
    boolean completed(long requestId) {
        return answered != null && requestId == request && missing == 0;
    }

    /** Closes the round: its answers, retries and step delay are dropped. */
    void cancel() {
        answered = null;
    }

    /** Seconds since the round began. */
    double seconds(long nowNanos) {
        return (nowNanos - startNanos) / 1e9;
    }
}
