package dev.cmk.testkit;

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
 * softhsm2-util --init-token} and OpenSC's {@code pkcs11-tool --keypairgen}, as child processes,
 * for integration tests of anything that reaches keys through PKCS#11. The build sets {@code
 * SOFTHSM2_CONF} for the integration-test JVM (the library and the tools read it); the first token
 * of a JVM writes that file with a fresh token directory, so each test JVM needs its own (Failsafe
 * {@code reuseForks=false} when several classes use it). Without SoftHSM2 or OpenSC the tests are
 * skipped, or fail when {@code CI=true} ({@code test.sh} installs both). A tool that does not
 * finish within 60 seconds fails the test.
 *
 * <p><b>Thread safety:</b> {@link #create} is synchronized; a token is used by one test class.
 */
public final class SoftHsmToken {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static boolean configured;

  private final String label;
  private final String pin;

  private SoftHsmToken(String label, String pin) {
    this.label = label;
    this.pin = pin;
  }

  /** {@return the token's label} */
  public String label() {
    return label;
  }

  /** {@return the token's user PIN (a random test value)} */
  public String pin() {
    return pin;
  }

  /**
   * The SoftHSM2 library ({@code cmk.softhsm.library}, default the Debian path).
   *
   * @return its path
   */
  public static Path library() {
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

  /**
   * Initializes a new token labelled {@code prefix-<random>} with a random user PIN.
   *
   * @param prefix the label's prefix
   * @return the token
   */
  public static synchronized SoftHsmToken create(String prefix) {
    library();
    configure();
    String label = prefix + "-" + hex(4);
    String pin = hex(8);
    run(tool("softhsm2-util"), "--init-token", "--free", "--label", label, "--so-pin", hex(8),
        "--pin", pin);
    return new SoftHsmToken(label, pin);
  }

  /**
   * {@code pkcs11-tool --keypairgen} on this token: {@code keyType} ({@code rsa:2048}, {@code
   * rsa:1024}, {@code EC:prime256v1}) with CKA_ID {@code idHex} and CKA_LABEL {@code keyLabel}.
   *
   * @param keyType the key type in pkcs11-tool's syntax
   * @param idHex the CKA_ID in hex
   * @param keyLabel the CKA_LABEL
   */
  public void keypairgen(String keyType, String idHex, String keyLabel) {
    run(tool("pkcs11-tool"), "--module", library().toString(), "--token-label", label, "--login",
        "--pin", pin, "--keypairgen", "--key-type", keyType, "--id", idHex, "--label", keyLabel);
  }

  /**
   * Writes the SoftHSM2 configuration file named by {@code SOFTHSM2_CONF} with a fresh token
   * directory, once per JVM and before the library is loaded; later calls do nothing. {@link
   * #create} calls it; tests that initialize tokens another way call it first.
   *
   * <p>Without {@code SOFTHSM2_CONF} the calling test is aborted (skipped), or failed when {@code
   * CI=true}.
   */
  public static synchronized void configure() {
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
          "# written by cmk-testkit's SoftHsmToken\n"
              + "directories.tokendir = " + tokens + "\n"
              + "objectstore.backend = file\n"
              + "log.level = ERROR\n"
              + "slots.removable = false\n",
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

  /** Runs a tool; output goes to a file, so the 60-second limit holds even if it blocks. */
  private static void run(String... command) {
    Path output = null;
    try {
      output = Files.createTempFile("cmk-softhsm-tool", ".log");
      Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(command[0] + " did not finish within 60 s");
      }
      String text = Files.readString(output, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(),
          () -> Path.of(command[0]).getFileName() + " failed:\n" + text);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command[0], e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException ignored) {
          // a temporary file of a test run
        }
      }
    }
  }
}
