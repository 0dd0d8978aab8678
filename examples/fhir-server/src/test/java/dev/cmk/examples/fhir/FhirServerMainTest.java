package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FhirServerMainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) throws InterruptedException {
    return FhirServerMain.run(args, env,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void run_help_printsUsageAndExits0() throws InterruptedException {
    assertEquals(0, run(Map.of(), "--help"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("--key-encryption-key-url"));
  }

  @Test
  void run_withoutKey_exits2WithOneLine() throws InterruptedException {
    assertEquals(2, run(Map.of()));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.startsWith("fhir-server: --key-encryption-key-url"), e);
    assertEquals(1, e.lines().count());
  }

  @Test
  void run_missingKeystore_exits1WithOneLine(@TempDir Path dir) throws InterruptedException {
    assertEquals(1, run(Map.of(), "--port", "0",
        "--jdbc-url", "jdbc:h2:mem:main-test",
        "--key-encryption-key-url", "local:fhir-cmk",
        "--keystore", dir.resolve("missing.p12").toString(),
        "--keystore-password-file", dir.resolve("pw").toString()));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.startsWith("fhir-server: cannot start: "), e);
    assertEquals(1, e.lines().count());
  }
}
