package io.flock.actors.dataplane;

/** Identifies one member's part in one collective on an endpoint; frames carry it. */
record SessionKey(String jobId, long epoch, long step, CollectiveSpec.Kind kind, int rank) {

    static SessionKey of(CollectiveSpec spec) {
        return new SessionKey(spec.jobId(), spec.epoch(), spec.step(), spec.kind(), spec.rank());
    }
}
