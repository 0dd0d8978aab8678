package dev.cmk.examples.dicom;

import dev.cmk.testkit.azurite.NodePackages;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tools the interoperability tests run that nobody here wrote (Node.js with npm packages,
 * Orthanc): skipped with a message when missing, failed when the environment has {@code CI=true}.
 */
final class ExternalTools {
  private static final String WHO = "this interoperability test needs";

  private ExternalTools() {}

  /** Skips the test (or fails it on CI) because {@code what} is missing. */
  static void missing(String what) {
    NodePackages.missing(WHO + " " + what);
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
   * {@code ~/.cache/<cacheName>/<hash>} ({@link NodePackages}, as cmk-testkit-azurite installs
   * Azurite).
   *
   * @return the directory holding {@code node_modules}
   */
  static Path npmInstall(String resources, String cacheName) {
    NodePackages.node("node", 18, WHO);
    return NodePackages.install(resources, resource(resources + "/package.json"),
        resource(resources + "/package-lock.json"),
        Path.of(System.getProperty("user.home"), ".cache", cacheName), WHO);
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
