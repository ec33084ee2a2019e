/**
 * Entry points for {@code flock bench}: measurements of one internal component in isolation (the
 * parameter shards' push and pull, the data plane's all-reduce), which the public API deliberately
 * does not expose. Stable only as far as the benchmarks need; applications use {@code io.flock.actors.api}.
 */
package io.flock.actors.bench;
