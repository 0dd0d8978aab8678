package dev.cmk.examples.dicom;

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
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Tools the interoperability tests run that nobody here wrote (Node.js with npm packages,
 * Orthanc): skipped with a message when missing, failed when the environment has {@code CI=true}.
 */
final class ExternalTools {
  private ExternalTools() {}

  /** Skips the test (or fails it on CI) because {@code what} is missing. */
  static void missing(String what) {
    String message = "this interoperability test needs " + what;
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new IllegalStateException(message + " (CI=true: not skipped)");
    }
    Assumptions.abort(message);
  }

  /** The output of a short command, or null if it cannot run or fails. */
  static String run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Installs the npm packages pinned by {@code package.json} and {@code package-lock.json} under
   * the test resource directory {@code resources} with {@code npm ci}, once per lock file, into
   * {@code ~/.cache/<cacheName>/<hash>} (as cmk-testkit-azurite installs Azurite).
   *
   * @return the directory holding {@code node_modules}
   */
  static synchronized Path npmInstall(String resources, String cacheName) {
    String node = run("node", "--version");
    if (node == null || !node.matches("v(1[89]|[2-9]\\d)\\..*")) {
      missing("Node.js 18 or newer on the PATH (found: " + node + ")");
    }
    byte[] packageJson = resource(resources + "/package.json");
    byte[] lock = resource(resources + "/package-lock.json");
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(packageJson);
      String hash = HexFormat.of().formatHex(sha.digest(lock)).substring(0, 16);
      Path base = Path.of(System.getProperty("user.home"), ".cache", cacheName);
      Path dir = base.resolve(hash);
      if (Files.exists(dir.resolve(".installed"))) {
        return dir;
      }
      Files.createDirectories(base);
      try (FileChannel ch = FileChannel.open(base.resolve(hash + ".lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        if (Files.exists(dir.resolve(".installed"))) {
          return dir;
        }
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
          missing("npm on the PATH");
          throw e;
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
          p.destroyForcibly();
          String log = Files.readString(tmp.resolve("npm-ci.log"));
          deleteTree(tmp);
          throw new IllegalStateException("npm ci failed:\n" + log);
        }
        Files.writeString(tmp.resolve(".installed"), "npm ci " + hash + "\n");
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] resource(String name) {
    try (InputStream in = ExternalTools.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Runs a process to its end within {@code minutes}; its output goes to {@code log}. */
  static int runLogged(ProcessBuilder pb, Path log, int minutes) throws Exception {
    Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + List.copyOf(pb.command()));
    }
    return p.exitValue();
  }
}
