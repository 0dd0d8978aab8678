package dev.cmk.examples.fhir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * npm {@code fhir-kit-client}, the version pinned by {@code fhir-kit-client/package-lock.json} in
 * the test resources, installed once per lock file ({@code npm ci --ignore-scripts}) into {@code
 * ~/.cache/cmk-fhir-kit-client/<hash>} (or {@code -Dcmk.fhir-kit-client.cache=DIR}). The same
 * scheme as cmk-testkit-azurite's Azurite, for a test-only client.
 *
 * <p>Needs Node.js 20+ and npm on the PATH. Without them the calling test is skipped, except with
 * {@code CI=true}, where it fails: CI must run it ({@code ./test.sh} installs Node).
 */
final class FhirKitClient {
  private static final String RESOURCES = "/fhir-kit-client/";

  private FhirKitClient() {}

  /** {@return {@code node}, after checking that it is Node.js 20 or newer} */
  static String node() {
    String version;
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        version = "";
      }
    } catch (IOException e) {
      version = "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    Matcher m = Pattern.compile("v(\\d+)\\.").matcher(version);
    if (!m.lookingAt() || Integer.parseInt(m.group(1)) < 20) {
      missing("Node.js 20 or newer (found: " + (version.isEmpty() ? "none" : version) + ")");
    }
    return "node";
  }

  private static void missing(String what) {
    String message = "the fhir-kit-client test needs " + what + " on the PATH, with npm";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException(message + " (CI=true: not skipped)");
    }
    Assumptions.abort(message);
  }

  /** Installs the pinned client once per lock file; returns the directory with node_modules. */
  static synchronized Path install() {
    node();
    byte[] packageJson = resource("package.json");
    byte[] lock = resource("package-lock.json");
    Path base = Path.of(System.getProperty("cmk.fhir-kit-client.cache",
        System.getProperty("user.home") + "/.cache/cmk-fhir-kit-client"));
    String hash;
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(packageJson);
      hash = HexFormat.of().formatHex(sha.digest(lock)).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path dir = base.resolve(hash);
    Path done = dir.resolve(".installed");
    if (Files.exists(done)) {
      return dir;
    }
    try {
      Files.createDirectories(base);
      try (FileChannel ch = FileChannel.open(base.resolve(hash + ".lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        if (Files.exists(done)) {
          return dir; // another JVM installed it meanwhile
        }
        deleteTree(dir);
        Path tmp = base.resolve(hash + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        Files.write(tmp.resolve("package.json"), packageJson);
        Files.write(tmp.resolve("package-lock.json"), lock);
        Process p;
        try {
          p = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
              "--loglevel=error").directory(tmp.toFile()).redirectErrorStream(true)
              .redirectOutput(tmp.resolve("npm-ci.log").toFile()).start();
        } catch (IOException e) {
          deleteTree(tmp);
          missing("npm");
          throw e;
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
          p.destroyForcibly();
          String log = Files.readString(tmp.resolve("npm-ci.log"));
          deleteTree(tmp);
          throw new IllegalStateException("npm ci of fhir-kit-client failed:\n" + log);
        }
        Files.writeString(tmp.resolve(".installed"), "npm ci of package-lock.json " + hash + "\n");
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Copies a script from the test resources next to the installed {@code node_modules} (ES
   * modules resolve packages from the script's directory) under a name of its own.
   *
   * @param name the script, e.g. {@code conditional.mjs}
   * @return the copy; the caller deletes it
   */
  static Path script(String name) throws IOException {
    Path copy = install().resolve("run-" + UUID.randomUUID() + "-" + name);
    Files.write(copy, resource(name));
    return copy;
  }

  static byte[] resource(String name) {
    try (InputStream in = FhirKitClient.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCES + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    }
  }
}
