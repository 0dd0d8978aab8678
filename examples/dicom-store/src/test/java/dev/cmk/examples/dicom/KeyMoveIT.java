package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpClient;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.testkit.SoftHsmToken;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator moves the store's key ("a new encryption key from a different storage location"):
 * instances are stored under key A, the store is restarted with {@code --key} naming key B and
 * {@code --decrypt-only-key} naming A. Every instance stored under A is still served (whole and
 * ranges, through A's vault or keystore), new and replaced instances are written under B. A
 * restart on B that does not list A answers 500 for A's instances without contacting A.
 *
 * <p>Real server over HTTP, configured exactly as {@link DicomStoreMain} configures it; vault to
 * vault and Key Vault to Managed HSM through the real Azure SDK over HTTPS to loopback vaults
 * (only the transport and credential are the test's), keystore to PKCS#11 with a key an HSM admin made on a real SoftHSM2
 * token, both providers found by {@code ServiceLoader}.
 */
@Timeout(180)
class KeyMoveIT {
  private static final String STUDY = "1.2.40";
  private static final String SERIES = "1.2.40.1";

  @TempDir Path dir;
  private Path data;
  private LoopbackKeyVault server;
  private LoopbackVault oldVault;
  private LoopbackVault newVault;
  private LoopbackVault hsm;
  private VaultIdentity identity;
  private final List<Map<String, String>> azureSettings = new ArrayList<>();
  private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
      .version(java.net.http.HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void vaults() {
    data = dir.resolve("data");
    server = LoopbackKeyVault.builder()
        .keyVault("dicomold").keyVault("dicomnew").managedHsm("dicomhsm").build();
    oldVault = server.vault("dicomold");
    newVault = server.vault("dicomnew");
    hsm = server.vault("dicomhsm");
    identity = LoopbackAzure.storeIdentity(server, oldVault, newVault, hsm);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void restart_keyMovedToAnotherVault_previousKeyDecryptOnly_everyInstanceServedNewOnesUnderNew()
      throws Exception {
    moveBetweenVaults(oldVault.createRsaKey("dicom-kek", 2048).versionless(),
        newVault, newVault.createRsaKey("dicom-kek", 3072).versionless());
  }

  @Test
  void restart_keyMovedFromKeyVaultToManagedHsm_previousKeyDecryptOnly_everyInstanceServed()
      throws Exception {
    moveBetweenVaults(oldVault.createRsaKey("dicom-kek", 3072).versionless(),
        hsm, hsm.createRsaHsmKey("dicom-kek", 3072).versionless());
  }

  /** Stores under {@code oldKey} (in the old vault), then restarts on {@code newKey}. */
  private void moveBetweenVaults(KeyReference oldKey, LoopbackVault to, KeyReference newKey)
      throws Exception {
    Map<String, byte[]> stored;
    try (DicomStoreMain.Running store = startAzure("--key", oldKey.toString())) {
      stored = putInstances(store.server().uri(), 4);
    }
    assertEquals(oldVault.vaultUrl(), azureSettings.get(0).get("vaults"));
    String first = stored.keySet().iterator().next();

    // Restarted on the new key without listing the old one: its instances are not accessible,
    // and the old vault is not contacted (the store serves only the vaults it is configured for).
    try (DicomStoreMain.Running store = startAzure("--key", newKey.toString())) {
      oldVault.clearRequests();
      HttpResponse<byte[]> refused = get(store.server().uri(), first, null);
      String body = new String(refused.body(), StandardCharsets.UTF_8);
      assertEquals(500, refused.statusCode(), body);
      assertEquals("customer-managed-key-not-accessible", TestServer.field(body, "error"));
      assertEquals(0, oldVault.requestCount(), "requests: " + oldVault.requests());
    }

    // Restarted as documented: the previous key listed as decrypt-only.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DicomStoreMain.Running store = startAzure(out,
        "--key", newKey.toString(), "--decrypt-only-key", oldKey.toString())) {
      assertEquals(to.vaultUrl() + "," + oldVault.vaultUrl(),
          azureSettings.get(azureSettings.size() - 1).get("vaults"),
          "one provider, the vaults of --key and --decrypt-only-key");
      oldVault.clearRequests();
      assertEverythingServedAndNewWritesUnder(store.server().uri(), stored, newKey, oldKey);
      assertTrue(oldVault.requestCount() > 0, "old instances were unwrapped by the old vault");
    }
    assertTrue(out.toString(StandardCharsets.UTF_8).contains(
        "key " + newKey + " via azure-keyvault, key state AVAILABLE"), out.toString());
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("decrypt-only [" + oldKey + "]"),
        out.toString());
  }

  @Test
  void restart_keyMovedFromKeystoreToHsm_keystoreKeyDecryptOnly_everyInstanceServedNewOnesInToken()
      throws Exception {
    SoftHsmToken token = SoftHsmToken.create("dicom-move");
    token.keypairgen("rsa:3072", "0a01", "dicom-kek");
    Path pin = Files.writeString(dir.resolve("pin"), token.pin() + "\n", StandardCharsets.UTF_8);
    Path keystore = dir.resolve("keys.p12");
    Path password = Files.writeString(dir.resolve("keystore-password"), "test-only-password");
    KeyReference localKey = KeyReference.parse("local:dicom-kek");
    KeyReference hsmKey = KeyReference.parse("pkcs11:token=" + token.label() + ";object=dicom-kek");
    Map<String, byte[]> stored;
    try (DicomStoreMain.Running store = start("--key", localKey.toString(),
        "--provider-setting", "path=" + keystore, "--provider-setting", "password-file=" + password,
        "--provider-setting", "create=true", "--create-key-if-missing")) {
      stored = putInstances(store.server().uri(), 3);
    }
    String[] onHsm = {"--key", hsmKey.toString(),
        "--provider-setting", "library=" + SoftHsmToken.library(),
        "--provider-setting", "pin-file=" + pin};

    try (DicomStoreMain.Running store = start(onHsm)) {
      HttpResponse<byte[]> refused = get(store.server().uri(), stored.keySet().iterator().next(), null);
      String body = new String(refused.body(), StandardCharsets.UTF_8);
      assertEquals(500, refused.statusCode(), body);
      assertEquals("customer-managed-key-not-accessible", TestServer.field(body, "error"));
    }

    List<String> args = new ArrayList<>(Arrays.asList(onHsm));
    args.addAll(List.of("--decrypt-only-key", localKey.toString(),
        "--provider-setting", "keystore:path=" + keystore,
        "--provider-setting", "keystore:password-file=" + password));
    try (DicomStoreMain.Running store = start(args.toArray(String[]::new))) {
      assertEquals(List.of("pkcs11", "keystore"),
          store.providers().stream().map(KeyEncryptionKeyProvider::id).toList());
      assertEverythingServedAndNewWritesUnder(store.server().uri(), stored, hsmKey, localKey);
    }
  }

  /**
   * Every stored instance whole and one range of each; a new instance and a replaced old one are
   * stored under {@code newKey} (read back from the envelope header on disk); the status lists
   * the old key as decrypt-only.
   */
  private void assertEverythingServedAndNewWritesUnder(
      URI base, Map<String, byte[]> stored, KeyReference newKey, KeyReference oldKey)
      throws Exception {
    for (Map.Entry<String, byte[]> e : stored.entrySet()) {
      HttpResponse<byte[]> whole = get(base, e.getKey(), null);
      assertEquals(200, whole.statusCode(), e.getKey());
      assertArrayEquals(e.getValue(), whole.body(), e.getKey());
      int from = e.getValue().length / 3;
      int to = e.getValue().length - 7;
      HttpResponse<byte[]> range = get(base, e.getKey(), "bytes=" + from + "-" + to);
      assertEquals(206, range.statusCode(), e.getKey());
      assertArrayEquals(Arrays.copyOfRange(e.getValue(), from, to + 1), range.body(), e.getKey());
    }
    String sop = "1.2.40.1.99";
    byte[] fresh = SyntheticDicom.array(99, 90_000);
    assertEquals(201, put(base, TestServer.instancePath(STUDY, SERIES, sop), fresh).statusCode());
    assertArrayEquals(fresh, get(base, TestServer.instancePath(STUDY, SERIES, sop), null).body());
    assertTrue(newKey.sameKeyAs(storedKey(sop)), "new instance under " + storedKey(sop));

    String replaced = stored.keySet().iterator().next();
    String replacedSop = replaced.substring(replaced.lastIndexOf('/') + 1);
    assertTrue(oldKey.sameKeyAs(storedKey(replacedSop)));
    byte[] replacement = SyntheticDicom.array(98, 70_000);
    assertEquals(200, put(base, replaced, replacement).statusCode());
    assertArrayEquals(replacement, get(base, replaced, null).body());
    assertTrue(newKey.sameKeyAs(storedKey(replacedSop)), "replaced instance under the new key");

    HttpResponse<byte[]> status = get(base, DicomStoreHandler.STATUS_PATH, null);
    String json = new String(status.body(), StandardCharsets.UTF_8);
    assertEquals(newKey.toString(), TestServer.field(json, "configuredKey"), json);
    assertTrue(json.contains("\"decryptOnlyKeys\":[\"" + oldKey + "\"]"), json);
    assertTrue(json.contains("\"retiredKeys\":[]"), json);
  }

  private KeyReference storedKey(String sop) throws Exception {
    Path file = data.resolve(STUDY).resolve(SERIES).resolve(sop + InstanceStore.SUFFIX);
    try (InputStream in = Files.newInputStream(file)) {
      return EnvelopeInfo.read(in).keyReference();
    }
  }

  /** Stores {@code count} instances of different sizes (one to several 64 KiB segments). */
  private Map<String, byte[]> putInstances(URI base, int count) throws Exception {
    Map<String, byte[]> stored = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String path = TestServer.instancePath(STUDY, SERIES, SERIES + "." + (i + 1));
      byte[] body = SyntheticDicom.array(40 + i, 20_000 + i * 110_000);
      HttpResponse<String> put = put(base, path, body);
      assertEquals(201, put.statusCode(), put.body());
      stored.put(path, body);
    }
    return stored;
  }

  private DicomStoreMain.Running start(String... args) throws Exception {
    return DicomStoreMain.start(options(args), new PrintStream(new ByteArrayOutputStream()));
  }

  private DicomStoreMain.Running startAzure(String... args) throws Exception {
    return startAzure(new ByteArrayOutputStream(), args);
  }

  /** As {@link DicomStoreMain} starts it; only the Azure transport and credential are the test's. */
  private DicomStoreMain.Running startAzure(ByteArrayOutputStream out, String... args)
      throws Exception {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--provider-setting", "credential=system-assigned-managed-identity"));
    BiFunction<String, Map<String, String>, KeyEncryptionKeyProvider> loopback = (id, s) -> {
      assertEquals("azure-keyvault", id);
      azureSettings.add(Map.copyOf(s));
      AzureKeyVaultProviderBuilder b =
          LoopbackAzure.providerBuilder(server, identity);
      for (String v : s.get("vaults").split(",")) {
        b.addVault(v.trim());
      }
      return b.build();
    };
    return DicomStoreMain.start(options(all.toArray(String[]::new)), new PrintStream(out, true),
        loopback);
  }

  private DicomStoreMain.Options options(String... args) {
    List<String> all = new ArrayList<>(List.of("--data-dir", data.toString(), "--port", "0"));
    all.addAll(Arrays.asList(args));
    return DicomStoreMain.Options.parse(all.toArray(String[]::new));
  }

  private HttpResponse<String> put(URI base, String path, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/dicom")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<byte[]> get(URI base, String path, String range) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
    if (range != null) {
      b.header("Range", range);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
