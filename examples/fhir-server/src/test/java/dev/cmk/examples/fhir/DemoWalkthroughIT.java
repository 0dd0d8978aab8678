package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-command demo's walkthrough, run as ./demo.sh runs it, must keep passing. */
class DemoWalkthroughIT {
  @Test
  void run_freshKeystore_everyStepBehavesAndExits0(@TempDir Path dir) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = new DemoWalkthrough(dir, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String transcript = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, transcript);
    assertTrue(transcript.contains("All 8 steps behaved as expected"), transcript);
    assertTrue(transcript.contains("\"Chalmers\" anywhere in the table: not found"), transcript);
    assertTrue(transcript.contains("< 500 Internal Server Error"), transcript);
    assertTrue(transcript.contains("state REFRESH_REQUIRED"), transcript);
  }
}
