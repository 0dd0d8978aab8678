package dev.cmk.examples.fhir;

import dev.cmk.testkit.azurite.NodePackages;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * npm {@code fhir-kit-client}, the version pinned by {@code fhir-kit-client/package-lock.json} in
 * the test resources, installed once per lock file ({@code npm ci --ignore-scripts}) into {@code
 * ~/.cache/cmk-fhir-kit-client/<hash>} (or {@code -Dcmk.fhir-kit-client.cache=DIR}). The same
 * scheme as cmk-testkit-azurite's Azurite ({@link NodePackages}), for a test-only client.
 *
 * <p>Needs Node.js 20+ and npm on the PATH. Without them the calling test is skipped, except with
 * {@code CI=true}, where it fails: CI must run it ({@code ./test.sh} installs Node).
 */
final class FhirKitClient {
  private static final String RESOURCES = "/fhir-kit-client/";
  private static final String WHO = "the fhir-kit-client test needs";

  private FhirKitClient() {}

  /** {@return {@code node}, after checking that it is Node.js 20 or newer} */
  static String node() {
    return NodePackages.node("node", 20, WHO);
  }

  /** Installs the pinned client once per lock file; returns the directory with node_modules. */
  static Path install() {
    node();
    Path cache = Path.of(System.getProperty("cmk.fhir-kit-client.cache",
        System.getProperty("user.home") + "/.cache/cmk-fhir-kit-client"));
    return NodePackages.install("fhir-kit-client", resource("package.json"),
        resource("package-lock.json"), cache, WHO);
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
}
