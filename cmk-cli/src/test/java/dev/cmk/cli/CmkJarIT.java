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

  private Run cmk(byte[] stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("cmk.launcher", "cmk"));
    command.addAll(List.of(args));
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
}
