package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged tool as users run it: the {@code cmk} launcher script starting {@code
 * target/cmk.jar} in its own JVM, with binary data through real pipes.
 */
class CmkJarIT {
  private static final String PASSWORD = "jar-IT-password-42";

  @TempDir Path dir;

  private record Run(int exitCode, byte[] stdout, String stderr) {}

  private static String launcher() {
    return System.getProperty("cmk.launcher", "cmk");
  }

  private Run cmk(byte[] stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(launcher());
    command.addAll(List.of(args));
    return run(command, stdin);
  }

  private Run run(List<String> command, byte[] stdin) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("CMK_JAR", System.getProperty("cmk.jar"));
    pb.environment().put("CMK_KEYSTORE", dir.resolve("keys.p12").toString());
    pb.environment().put("CMK_KEYSTORE_PASSWORD", PASSWORD);
    pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    Path in = dir.resolve("stdin");
    Files.write(in, stdin);
    pb.redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "cmk finished");
    return new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err));
  }

  @Test
  void launcher_roundTripThroughPipes_andExitCodes() throws Exception {
    Run version = cmk(new byte[0], "--version");
    assertEquals(0, version.exitCode(), version.stderr());
    assertTrue(new String(version.stdout(), StandardCharsets.UTF_8).startsWith("cmk "));

    Run create = cmk(new byte[0], "keys", "create", "it-key", "--size", "2048");
    assertEquals(0, create.exitCode(), create.stderr());
    String v1 = new String(create.stdout(), StandardCharsets.UTF_8).strip();
    assertTrue(v1.startsWith("local:it-key/"), v1);

    byte[] plaintext = new byte[300_000];
    new SecureRandom().nextBytes(plaintext);
    Run enc = cmk(plaintext, "encrypt", "-k", "it-key", "--aad", "blob/1", "-");
    assertEquals(0, enc.exitCode(), enc.stderr());
    assertEquals("", enc.stderr(), "no log noise on stderr");

    Run dec = cmk(enc.stdout(), "decrypt", "--aad", "blob/1");
    assertEquals(0, dec.exitCode(), dec.stderr());
    assertArrayEquals(plaintext, dec.stdout());

    Run wrong = cmk(enc.stdout(), "decrypt", "--aad", "blob/2");
    assertEquals(ExitCode.INVALID_CIPHERTEXT, wrong.exitCode());
    assertEquals(1, wrong.stderr().strip().lines().count(), wrong.stderr());
    assertTrue(wrong.stderr().startsWith("cmk: invalid ciphertext"), wrong.stderr());
    assertFalse(wrong.stderr().contains(PASSWORD));
  }

  /**
   * Format 2 from the shaded jar: the H2 driver is found by {@code DriverManager} there (its
   * service file merged), and the store and the records command work from it.
   */
  @Test
  void launcher_formatTwoWithH2Store_roundTripAndCensus() throws Exception {
    String store = "jdbc:h2:file:" + dir.resolve("records").toAbsolutePath() + ";WRITE_DELAY=0";
    assertEquals(0, cmk(new byte[0], "keys", "create", "v2-key", "--size", "2048").exitCode());
    byte[] plaintext = "format two".getBytes(StandardCharsets.UTF_8);

    Run enc = cmk(plaintext, "encrypt", "-k", "v2-key", "--data-key-store", store);
    Run dec = cmk(enc.stdout(), "decrypt", "--data-key-store", store);
    Run census = cmk(new byte[0], "records", "census", "--data-key-store", store);

    assertEquals(0, enc.exitCode(), enc.stderr());
    assertEquals("", enc.stderr(), "no log noise on stderr");
    assertEquals(plaintext.length + 64, enc.stdout().length, "format 2 overhead");
    assertEquals(0, dec.exitCode(), dec.stderr());
    assertArrayEquals(plaintext, dec.stdout());
    assertEquals(0, census.exitCode(), census.stderr());
    assertTrue(new String(census.stdout(), StandardCharsets.UTF_8).startsWith(
        "Data-key records in jdbc:h2:file:"), census.stderr());
  }

  /**
   * On a real terminal (a pseudo-terminal from util-linux {@code script}), the launcher tells the
   * tool that stdout is one, and {@code encrypt} to stdout is refused with exit 2, while {@code -o
   * FILE} works.
   */
  @Test
  void launcher_stdoutIsARealTerminal_binaryRefusedExit2() throws Exception {
    Path script = Path.of("/usr/bin/script");
    if (!Files.isExecutable(script) && "true".equalsIgnoreCase(System.getenv("CI"))) {
      org.junit.jupiter.api.Assertions.fail("needs util-linux script (CI=true: not skipped)");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(script), "needs util-linux script");
    assertEquals(0, cmk(new byte[0], "keys", "create", "tty-key", "--size", "2048").exitCode());
    Path input = dir.resolve("plain.bin");
    Files.write(input, new byte[] {1, 2, 3});
    Path output = dir.resolve("out.cmk");

    Run refused = run(List.of(script.toString(), "-qec",
        "'" + launcher() + "' encrypt -k tty-key '" + input + "'", "/dev/null"), new byte[0]);
    Run toFile = run(List.of(script.toString(), "-qec",
        "'" + launcher() + "' encrypt -k tty-key -o '" + output + "' '" + input + "'", "/dev/null"),
        new byte[0]);

    String terminal = new String(refused.stdout(), StandardCharsets.UTF_8);
    assertEquals(ExitCode.USAGE, refused.exitCode(), terminal + refused.stderr());
    assertTrue(terminal.contains("not writing the envelope (binary) to the terminal"), terminal);
    assertEquals(0, toFile.exitCode(), new String(toFile.stdout(), StandardCharsets.UTF_8));
    assertTrue(Files.size(output) > 3);
  }
}
