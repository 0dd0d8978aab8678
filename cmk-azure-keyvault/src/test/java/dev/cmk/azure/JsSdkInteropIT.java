package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Fidelity of the loopback Key Vault proven with a second real client: Azure's own JavaScript SDK
 * ({@code @azure/keyvault-keys}, pinned in {@code src/test/js/package-lock.json}) run with node
 * against it: create, list (paged, following {@code nextLink}), get, rotate, wrapKey / unwrapKey
 * through {@code CryptographyClient}, disable. The SDK sends its own default api-version
 * (2025-07-01), resolves the real vault name to the loopback and trusts the loopback's
 * certificate through {@code NODE_EXTRA_CA_CERTS}; authentication is a custom credential returning
 * a token of the loopback tenant.
 *
 * <p>Needs node 20+ and npm ({@code test.sh} installs them). Without them the test fails in CI
 * ({@code CI=true}) and is skipped elsewhere; so is a failed {@code npm ci} (no registry).
 */
class JsSdkInteropIT {
  private static final Path SOURCES = Path.of("src", "test", "js");
  private static final Path WORK = Path.of("target", "js-interop");
  private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));
  private static final long NPM_TIMEOUT_SECONDS = 600;
  private static final long NODE_TIMEOUT_SECONDS = 180;

  /** Output of a finished process. */
  private record Run(int exitCode, String stdout, String stderr) {}

  @Test
  void azureJavaScriptSdk_createListGetRotateWrapUnwrapDisable_agreesWithTheVault() throws Exception {
    requireTool("node", "--version");
    requireTool("npm", "--version");
    installSdk();

    LoopbackKeyVault server = LoopbackFixture.server();
    LoopbackVault vault = server.vault(LoopbackFixture.VAULT);
    VaultIdentity app = server.createApplication("js-sdk-interop");
    vault.grant(app, KeyPermission.all());
    String prefix = "js-" + HexFormat.of().toHexDigits(new SecureRandom().nextInt());
    Path ca = WORK.resolve("loopback-ca.pem");
    Files.writeString(ca, pem(server), StandardCharsets.US_ASCII);

    ProcessBuilder pb = new ProcessBuilder("node", "interop.js").directory(WORK.toFile());
    Map<String, String> env = pb.environment();
    for (String proxy : List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")) {
      env.remove(proxy); // the SDK honours proxies; the loopback is never behind one
    }
    env.put("NODE_EXTRA_CA_CERTS", ca.toAbsolutePath().toString());
    env.put("CMK_VAULT_URL", vault.vaultUrl());
    env.put("CMK_LOOPBACK_HOSTS", server.vaults().stream().map(LoopbackVault::host).collect(Collectors.joining(",")));
    env.put("CMK_TOKEN", server.issueToken(app));
    env.put("CMK_KEY_PREFIX", prefix);
    Run run = run(pb, NODE_TIMEOUT_SECONDS);
    assertEquals(0, run.exitCode(), "node failed:\n" + run.stderr() + run.stdout());
    Map<String, Object> r = parse(run.stdout());

    @SuppressWarnings("unchecked")
    List<String> created = (List<String>) r.get("created");
    assertEquals(5, created.size());
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      names.add(prefix + "-" + i);
      KeyReference first = vault.versions(prefix + "-" + i).get(0);
      assertEquals(first, KeyReference.parse(created.get(i)), "the SDK's key id is the vault's");
    }
    assertEquals(names, r.get("listed"), "every key listed once, across pages");
    assertTrue(((Number) r.get("pages")).intValue() >= 3, "pages of two keys: " + r.get("pages"));
    assertEquals(created.get(0), r.get("getId"));
    assertEquals("RSA", r.get("keyType"));

    KeyReference rotated = KeyReference.parse((String) r.get("rotatedId"));
    assertNotEquals(r.get("getId"), r.get("rotatedId"));
    assertEquals(rotated.version().orElseThrow(), vault.latestVersion(prefix + "-0").version().orElseThrow());
    @SuppressWarnings("unchecked")
    List<String> versions = (List<String>) r.get("versions");
    assertEquals(vault.versions(prefix + "-0").stream().map(v -> v.version().orElseThrow()).toList(), versions);
    assertEquals(2, versions.size());

    assertEquals(256, ((Number) r.get("wrappedLength")).intValue());
    assertEquals(Boolean.TRUE, r.get("unwrapMatches"));
    assertEquals(Boolean.FALSE, r.get("disabledEnabled"));
    assertFalse(vault.isEnabled(vault.latestVersion(prefix + "-0")), "the vault holds the version disabled");
    assertTrue(((String) r.get("getDisabled")).startsWith("403 "), "get of a disabled version: " + r.get("getDisabled"));

    List<RecordedRequest> fromJs =
        vault.requests().stream()
            .filter(q -> q.header("User-Agent").orElse("").contains("azsdk-js-keyvault-keys"))
            .toList();
    assertTrue(fromJs.size() > 10, "requests from the JavaScript SDK: " + fromJs.size());
    for (RecordedRequest q : fromJs) {
      assertEquals("2025-07-01", q.apiVersion(), q.toString());
    }
    assertTrue(fromJs.stream().anyMatch(q -> q.path().endsWith("/unwrapkey") && q.status() == 200),
        "the unwrap reached the vault");
  }

  /** The tool runs, or the test fails in CI / is skipped elsewhere, naming how to get it. */
  private static void requireTool(String... command) throws InterruptedException {
    String problem;
    try {
      Run run = run(new ProcessBuilder(command), 60);
      if (run.exitCode() == 0) {
        return;
      }
      problem = command[0] + " " + command[1] + " exited with " + run.exitCode();
    } catch (IOException e) {
      problem = command[0] + " is not installed (" + e.getMessage() + ")";
    }
    String message = problem + ": JsSdkInteropIT runs Azure's JavaScript SDK with node 20+ and npm;"
        + " install them (test.sh does: apt-get install nodejs npm)";
    if (CI) {
      fail(message);
    }
    Assumptions.abort(message);
  }

  /** {@code npm ci} of the pinned SDK into target/js-interop, unless the same lock is installed. */
  private static void installSdk() throws IOException, InterruptedException {
    Files.createDirectories(WORK);
    Path installedLock = WORK.resolve("node_modules").resolve(".cmk-installed-lock.json");
    byte[] lock = Files.readAllBytes(SOURCES.resolve("package-lock.json"));
    for (String file : List.of("package.json", "package-lock.json", "interop.js")) {
      Files.copy(SOURCES.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    if (Files.exists(installedLock) && java.util.Arrays.equals(lock, Files.readAllBytes(installedLock))) {
      return;
    }
    Run npm = run(new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(WORK.toFile()),
        NPM_TIMEOUT_SECONDS);
    if (npm.exitCode() != 0) {
      String message = "npm ci of @azure/keyvault-keys failed (is the npm registry reachable?):\n" + npm.stderr();
      if (CI) {
        fail(message);
      }
      Assumptions.abort(message);
    }
    Files.write(installedLock, lock);
  }

  private static Run run(ProcessBuilder pb, long timeoutSeconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile("cmk-js", ".out");
    Path err = Files.createTempFile("cmk-js", ".err");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        fail(String.join(" ", pb.command()) + " did not finish within " + timeoutSeconds + " s:\n"
            + Files.readString(err) + Files.readString(out));
      }
      return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String stdout) throws IOException {
    String line = stdout.strip();
    line = line.substring(line.lastIndexOf('\n') + 1);
    try (JsonReader reader = JsonProviders.createReader(line)) {
      reader.nextToken();
      return (Map<String, Object>) reader.readUntyped();
    }
  }

  private static String pem(LoopbackKeyVault server) throws CertificateEncodingException {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(server.certificate().getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }
}
