package dev.cmk.testkit.azurite;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * npm packages for tests: checks that Node.js runs, and installs the packages pinned by a {@code
 * package.json} and {@code package-lock.json} with {@code npm ci --ignore-scripts}, once per lock
 * file, into {@code <cache>/<hash>}. {@link Azurite} installs itself with it; other modules' tests
 * install their Node.js clients with it.
 *
 * <p>A missing Node.js or npm skips the calling test, except with {@code CI=true} in the
 * environment, where it fails: CI must run these tests.
 *
 * <p>Thread safety: {@link #install} is serialized within the JVM and across JVMs (a file lock
 * beside the cache directory); a finished install is never changed.
 */
public final class NodePackages {
  private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.");

  private NodePackages() {}

  /**
   * Skips the calling test because something it needs is missing, or fails it on CI.
   *
   * @param message what is missing, e.g. {@code "the X test needs npm on the PATH"}
   * @throws IllegalStateException if the environment has {@code CI=true}
   * @throws org.opentest4j.TestAbortedException otherwise (the test is skipped)
   */
  public static void missing(String message) {
    Objects.requireNonNull(message, "message");
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException(message + " (CI=true: not skipped)");
    }
    Assumptions.abort(message);
  }

  /**
   * Checks that {@code node} runs and is Node.js {@code minimumMajor} or newer.
   *
   * @param node the executable to check
   * @param minimumMajor the oldest acceptable major version
   * @param who the start of the message if not, e.g. {@code "the X tests need"}
   * @return {@code node}
   * @throws IllegalStateException if not, and the environment has {@code CI=true}
   * @throws org.opentest4j.TestAbortedException if not, outside CI (the test is skipped)
   */
  public static String node(String node, int minimumMajor, String who) {
    String version;
    try {
      Process p = new ProcessBuilder(node, "--version").redirectErrorStream(true).start();
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
    Matcher m = VERSION.matcher(version);
    if (!m.lookingAt() || Integer.parseInt(m.group(1)) < minimumMajor) {
      missing(who + " Node.js " + minimumMajor + " or newer (found: "
          + (version.isEmpty() ? "none" : version) + ") on the PATH, with npm");
    }
    return node;
  }

  /**
   * Installs the packages pinned by {@code packageJson} and {@code packageLock} once per lock
   * file: into {@code cache/<hash>}, where {@code <hash>} is of both files. Another JVM installing
   * the same files meanwhile is waited for; a failed install leaves nothing behind.
   *
   * @param label what is installed, for messages (e.g. {@code "Azurite"})
   * @param packageJson the {@code package.json}
   * @param packageLock the {@code package-lock.json}
   * @param cache the cache directory (created if missing)
   * @param who the start of the message if npm is missing, e.g. {@code "the X tests need"}
   * @return the directory holding {@code node_modules}
   * @throws IllegalStateException if {@code npm ci} fails, or npm is missing on CI
   * @throws org.opentest4j.TestAbortedException if npm is missing, outside CI
   * @throws UncheckedIOException if the cache cannot be written
   */
  public static synchronized Path install(String label, byte[] packageJson, byte[] packageLock,
      Path cache, String who) {
    String hash = hash(packageJson, packageLock);
    Path dir = cache.resolve(hash);
    Path done = dir.resolve(".installed");
    if (Files.exists(done)) {
      return dir;
    }
    try {
      Files.createDirectories(cache);
      try (FileChannel ch = FileChannel.open(cache.resolve(hash + ".lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        if (Files.exists(done)) {
          return dir; // another JVM installed it meanwhile
        }
        deleteTree(dir);
        Path tmp = cache.resolve(hash + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        Files.write(tmp.resolve("package.json"), packageJson);
        Files.write(tmp.resolve("package-lock.json"), packageLock);
        Process p;
        try {
          p = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
              "--loglevel=error").directory(tmp.toFile()).redirectErrorStream(true)
              .redirectOutput(tmp.resolve("npm-ci.log").toFile()).start();
        } catch (IOException e) {
          deleteTree(tmp);
          missing(who + " npm on the PATH, with Node.js");
          throw e;
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
          p.destroyForcibly();
          String log = Files.readString(tmp.resolve("npm-ci.log"));
          deleteTree(tmp);
          throw new IllegalStateException("npm ci of " + label + " failed:\n" + log);
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

  private static String hash(byte[] packageJson, byte[] packageLock) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(packageJson);
      return HexFormat.of().formatHex(sha.digest(packageLock)).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deletes {@code dir} and everything below it, as far as it can. */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
