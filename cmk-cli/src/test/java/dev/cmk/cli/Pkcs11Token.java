package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A throw-away SoftHSM2 token set up the way an HSM administrator does it, with SoftHSM2's {@code
 * softhsm2-util --init-token} and OpenSC's {@code pkcs11-tool --keypairgen}, as child processes.
 * The build sets {@code SOFTHSM2_CONF} for the integration-test JVM (the library and the tools read
 * it); the first token of a JVM writes that file with a fresh token directory. Without SoftHSM2 or
 * OpenSC the tests are skipped, or fail when {@code CI=true} ({@code test.sh} installs both).
 */
final class Pkcs11Token {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static boolean configured;

  final String label;
  final String pin;

  private Pkcs11Token(String label, String pin) {
    this.label = label;
    this.pin = pin;
  }

  /** The SoftHSM2 library. */
  static Path library() {
    Path lib =
        Path.of(System.getProperty("cmk.softhsm.library", "/usr/lib/softhsm/libsofthsm2.so"));
    if (!Files.exists(lib)) {
      unavailable("SoftHSM2 library " + lib + " not found (apt-get install softhsm2)");
    }
    return lib;
  }

  private static void unavailable(String why) {
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + " (CI=true: SoftHSM2 and OpenSC are required)");
    }
    Assumptions.abort(why);
  }

  /** Initializes a new token labelled {@code prefix-<random>} with a random user PIN. */
  static synchronized Pkcs11Token create(String prefix) {
    library();
    configure();
    String label = prefix + "-" + hex(4);
    String pin = hex(8);
    run(tool("softhsm2-util"), "--init-token", "--free", "--label", label, "--so-pin", hex(8),
        "--pin", pin);
    return new Pkcs11Token(label, pin);
  }

  /**
   * {@code pkcs11-tool --keypairgen} on this token: {@code keyType} ({@code rsa:2048}, {@code
   * rsa:1024}, {@code EC:prime256v1}) with CKA_ID {@code idHex} and CKA_LABEL {@code keyLabel}.
   */
  void keypairgen(String keyType, String idHex, String keyLabel) {
    run(tool("pkcs11-tool"), "--module", library().toString(), "--token-label", label, "--login",
        "--pin", pin, "--keypairgen", "--key-type", keyType, "--id", idHex, "--label", keyLabel);
  }

  private static void configure() {
    if (configured) {
      return;
    }
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf == null || conf.isEmpty()) {
      unavailable("SOFTHSM2_CONF is not set; run the integration tests through Maven (Failsafe sets it)");
    }
    Path confFile = Path.of(conf).toAbsolutePath();
    try {
      Path tokens = confFile.getParent().resolve("tokens-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
      Files.createDirectories(tokens);
      Files.writeString(
          confFile,
          "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError("cannot write the SoftHSM2 configuration " + confFile, e);
    }
    configured = true;
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static String tool(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    unavailable(name + " not found on PATH (apt-get install softhsm2 opensc)");
    throw new AssertionError("unreachable");
  }

  private static void run(String... command) {
    ProcessBuilder pb = new ProcessBuilder(List.of(command)).redirectErrorStream(true);
    try {
      Process p = pb.start();
      byte[] output = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(command[0] + " did not finish");
      }
      assertEquals(
          0,
          p.exitValue(),
          () -> Path.of(command[0]).getFileName() + " failed:\n" + new String(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command[0], e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
