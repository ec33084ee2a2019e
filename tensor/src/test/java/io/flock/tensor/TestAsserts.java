package io.flock.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions shared by the tensor module's tests. */
public final class TestAsserts {

    private TestAsserts() {}

    /** Asserts that an error message contains {@code part}, showing the whole message otherwise. */
    public static void assertContains(String message, String part) {
        assertTrue(message != null && message.contains(part), () -> "message '" + message + "' lacks '" + part + "'");
    }
}
