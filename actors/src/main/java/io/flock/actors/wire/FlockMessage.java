package io.flock.actors.wire;

/**
 * Marker for every message that may cross the network. {@code reference.conf} binds it to
 * {@link KryoSerializer}; Java serialization is disabled, so a message that does not implement
 * this interface cannot leave its JVM.
 */
public interface FlockMessage {}
