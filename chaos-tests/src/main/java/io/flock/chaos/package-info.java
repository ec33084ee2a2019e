/**
 * The fault-injection harness: launches real multi-process Flock clusters on 127.0.0.1
 * ({@link io.flock.chaos.ChaosCluster}), runs a job as a {@code flock train} process
 * ({@link io.flock.chaos.TrainProcess}), injects faults on a {@link io.flock.chaos.Scenario}'s
 * timeline ({@link io.flock.chaos.ChaosRunner}) and checks Flock's guarantees, writing a
 * {@link io.flock.chaos.RunReport}. Network faults (partitions, link latency) are designed, not built:
 * see chaos-tests/README.md.
 */
package io.flock.chaos;
