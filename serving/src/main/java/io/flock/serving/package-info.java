/**
 * The serving tier: an HTTP endpoint (Open Inference Protocol / KServe v2) answering predictions
 * from a checkpoint or from a live job's latest committed parameters. Not built yet; it arrives
 * with its own issue. The module exists so the layout of Flock is visible from the start.
 */
package io.flock.serving;
