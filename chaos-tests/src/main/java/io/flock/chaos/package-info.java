/**
 * The fault-injection harness: launches real multi-process Flock clusters on 127.0.0.1, injects
 * kill -9, SIGSTOP, partitions and link faults on a timeline, and checks Flock's guarantees.
 * Not built yet; it arrives with its own issue (it needs the {@code flock node} service).
 */
package io.flock.chaos;
