package dev.cmk.benchmarks.pkcs11;

import dev.cmk.api.spi.SecretSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away SoftHSM2 token for one benchmark trial: a configuration file at {@code
 * $SOFTHSM2_CONF} whose {@code directories.tokendir} is a fresh private directory next to it, and
 * one token initialized there with {@code softhsm2-util --init-token} under a random label, SO PIN
 * and user PIN.
 *
 * <p>SoftHSM2 reads {@code SOFTHSM2_CONF} when the library is initialized, from the environment of
 * the process; a JVM cannot change its own environment, so the variable must be set before the
 * JMH launcher starts (the forked benchmark JVM inherits it). This class writes the file the
 * variable names, and refuses to overwrite a file it did not write (one without its first line
 * {@value #MARKER}), so that pointing the variable at a real configuration cannot destroy it.
 *
 * <p>The PINs are passed to {@code softhsm2-util} on its command line, which other local users can
 * read while it runs; acceptable for a token that lives for one benchmark trial in a directory only
 * its owner can read, never for a real one. {@link #close()} deletes the token directory and the
 * configuration file.
 *
 * <p><b>Thread safety:</b> not thread-safe; made and closed on one thread (JMH set-up and tear-down).
 */
final class SoftHsmToken implements AutoCloseable {
  /** The first line of every configuration file this class writes. */
  static final String MARKER = "# cmk-benchmarks pkcs11: throw-away SoftHSM2 configuration";

  /** Where Debian and Ubuntu's {@code softhsm2} package installs the library. */
  static final Path DEFAULT_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

  /** System property naming another SoftHSM2 library (the cmk-softhsm tests use the same one). */
  static final String LIBRARY_PROPERTY = "cmk.softhsm.library";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path confFile;
  private final Path tokenDirectory;
  private final String label;
  private final char[] userPin;
  private final String version;

  private SoftHsmToken(Path confFile, Path tokenDirectory, String label, char[] userPin, String version) {
    this.confFile = confFile;
    this.tokenDirectory = tokenDirectory;
    this.label = label;
    this.userPin = userPin;
    this.version = version;
  }

  /**
   * The SoftHSM2 library: the file the system property {@value #LIBRARY_PROPERTY} names if set, else {@link #DEFAULT_LIBRARY}.
   *
   * @return the library path
   * @throws IllegalStateException if the file does not exist
   */
  static Path library() {
    String configured = System.getProperty(LIBRARY_PROPERTY);
    Path lib = configured == null ? DEFAULT_LIBRARY : Path.of(configured);
    if (!Files.isRegularFile(lib)) {
      throw new IllegalStateException(
          "SoftHSM2 is not installed: " + lib + " not found. Install it (Debian/Ubuntu: apt-get"
              + " install softhsm2) or name the library with -jvmArgs -D" + LIBRARY_PROPERTY
              + "=/path/to/libsofthsm2.so");
    }
    return lib;
  }

  /**
   * Writes the configuration and initializes a fresh token whose label starts with {@code prefix}.
   *
   * @param prefix label prefix, at most 23 characters (labels have 32)
   * @return the token; close it to delete it
   * @throws IllegalStateException if SoftHSM2 is missing, {@code SOFTHSM2_CONF} is not set or names
   *     a file this class did not write, or {@code softhsm2-util} fails
   * @throws UncheckedIOException if the files cannot be written
   */
  static SoftHsmToken create(String prefix) {
    library();
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf == null || conf.isBlank()) {
      throw new IllegalStateException(
          "SOFTHSM2_CONF is not set. SoftHSM2 reads it from the environment when the library is"
              + " initialized, so set it before starting JMH to a file this benchmark may write,"
              + " e.g. export SOFTHSM2_CONF=$(mktemp -d)/softhsm2.conf (cmk-benchmarks/run-pkcs11.sh"
              + " does this)");
    }
    Path confFile = Path.of(conf).toAbsolutePath();
    String label = prefix + "-" + randomHex(4);
    char[] userPin = randomHex(8).toCharArray();
    Path tokens = null;
    try {
      refuseForeign(confFile);
      Files.createDirectories(confFile.getParent());
      // Files.createTempDirectory makes it readable by the owner only (0700) on POSIX.
      tokens = Files.createTempDirectory(confFile.getParent(), "tokens-");
      Files.writeString(
          confFile,
          MARKER + "\n"
              + "directories.tokendir = " + tokens + "\n"
              + "objectstore.backend = file\n"
              + "log.level = ERROR\n"
              + "slots.removable = false\n",
          StandardCharsets.UTF_8);
      String version = softHsmUtil(List.of("--version")).strip();
      softHsmUtil(
          List.of(
              "--init-token", "--free", "--label", label,
              "--so-pin", randomHex(8), "--pin", new String(userPin)));
      return new SoftHsmToken(confFile, tokens, label, userPin, version);
    } catch (IOException | RuntimeException e) {
      Arrays.fill(userPin, '0');
      try {
        deleteQuietly(tokens, confFile);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot set up the SoftHSM2 token in " + confFile.getParent(), io);
      }
      throw (RuntimeException) e;
    }
  }

  private static void refuseForeign(Path confFile) throws IOException {
    if (!Files.exists(confFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(confFile, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals(MARKER)) {
      throw new IllegalStateException(
          "SOFTHSM2_CONF names " + confFile + ", which this benchmark did not write; it will not"
              + " overwrite it. Point SOFTHSM2_CONF at a new file in a scratch directory");
    }
  }

  /** Runs {@code softhsm2-util} (inheriting {@code SOFTHSM2_CONF}) and returns its output. */
  private static String softHsmUtil(List<String> arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("softhsm2-util");
    command.addAll(arguments);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run softhsm2-util (apt-get install softhsm2 installs it with the library)", e);
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("softhsm2-util " + arguments.get(0) + " did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted waiting for softhsm2-util", e);
    }
    if (p.exitValue() != 0) {
      // softhsm2-util never echoes the PINs; its output names the failure.
      throw new IllegalStateException(
          "softhsm2-util " + arguments.get(0) + " failed (exit " + p.exitValue() + "): " + output.strip());
    }
    return output;
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The token's label. */
  String label() {
    return label;
  }

  /** The version {@code softhsm2-util --version} reported, e.g. {@code 2.6.1}. */
  String version() {
    return version;
  }

  /** The user PIN, as a source that hands out a fresh copy at each login. */
  SecretSource pin() {
    return SecretSource.ofCallback(userPin::clone);
  }

  /**
   * Wipes the PIN and deletes the token directory and the configuration file. Close every provider
   * on the token first.
   *
   * @throws UncheckedIOException if a file cannot be deleted
   */
  @Override
  public void close() {
    Arrays.fill(userPin, '0');
    try {
      deleteQuietly(tokenDirectory, confFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the SoftHSM2 token in " + tokenDirectory, e);
    }
  }

  private static void deleteQuietly(Path directory, Path file) throws IOException {
    if (directory != null && Files.exists(directory)) {
      try (Stream<Path> all = Files.walk(directory)) {
        for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
          try {
            Files.delete(p);
          } catch (NoSuchFileException gone) {
            // already deleted
          }
        }
      }
    }
    // Only a file this class wrote: create() checked the marker before writing it.
    if (Files.exists(file) && Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst()
        .filter(MARKER::equals).isPresent()) {
      Files.delete(file);
    }
  }

  @Override
  public String toString() {
    return "SoftHsmToken[" + label + ", " + tokenDirectory + "]";
  }
}
