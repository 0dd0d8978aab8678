package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpClient;
import dev.cmk.api.KeyReference;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.azure.AzureKeyVaultProviderBuilder;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stored instance whose envelope names a vault the store was not configured with (another
 * tenant's store wrote it into the same data directory, or a restored backup): the store answers
 * 500 {@code customer-managed-key-not-accessible} and that vault receives no request. The store
 * is configured as {@link DicomStoreMain} configures it ({@code --key} in one vault, the provider
 * settings it derives); only the transport differs: the real Azure SDK over HTTPS to two loopback
 * vaults under their real host names.
 */
@Timeout(120)
class ForeignVaultIT {
  private static final String FOREIGN = TestServer.instancePath("1.2.9", "1.2.9.1", "1.2.9.1.1");
  private static final String OWN = TestServer.instancePath("1.2.9", "1.2.9.1", "1.2.9.1.2");

  @TempDir Path data;
  private LoopbackKeyVault server;
  private LoopbackVault own;
  private LoopbackVault foreign;
  private VaultIdentity identity;
  private final java.net.http.HttpClient http =
      java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void vaults() {
    server = LoopbackKeyVault.builder().keyVault("dicomown").keyVault("dicomforeign").build();
    own = server.vault("dicomown");
    foreign = server.vault("dicomforeign");
    identity = LoopbackAzure.storeIdentity(server, own, foreign);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void get_instanceWhoseEnvelopeNamesAnotherVault_answers500AndThatVaultGetsNoRequest()
      throws Exception {
    KeyReference foreignKey = foreign.createRsaKey("dicom-kek", 2048).versionless();
    KeyReference ownKey = own.createRsaKey("dicom-kek", 2048).versionless();
    byte[] foreignBody = SyntheticDicom.array(9, 20_000);
    try (AzureKeyVaultProvider provider = loopbackProvider(foreign.vaultUrl());
        EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider).writeKey(foreignKey)
            .keyPolicy(KeyPolicy.dicomService()).build();
        DicomStoreServer other =
            DicomStoreServer.builder().crypto(crypto).dataDirectory(data).port(0).build().start()) {
      assertEquals(201, put(other.uri(), FOREIGN, foreignBody).statusCode());
    }

    DicomStoreMain.Options options = DicomStoreMain.Options.parse(
        "--data-dir", data.toString(), "--key", ownKey.toString(),
        "--provider-setting", "credential=system-assigned-managed-identity", "--port", "0");
    Map<String, String> settings = StoreProviders.settings(options).get("azure-keyvault");
    assertEquals(own.vaultUrl(), settings.get("vaults"), "only the --key's vault by default");
    byte[] ownBody = SyntheticDicom.array(10, 20_000);
    try (DicomStoreMain.Running store = DicomStoreMain.start(options,
        new PrintStream(new ByteArrayOutputStream()),
        (id, derived) -> loopbackProvider(derived.get("vaults").split(",")))) {
      URI base = store.server().uri();
      assertEquals(201, put(base, OWN, ownBody).statusCode());
      HttpResponse<byte[]> ownGet = get(base, OWN);
      assertEquals(200, ownGet.statusCode());
      assertArrayEquals(ownBody, ownGet.body());
      foreign.clearRequests();

      HttpResponse<byte[]> foreignGet = get(base, FOREIGN);

      String body = new String(foreignGet.body(), java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(500, foreignGet.statusCode(), body);
      assertEquals("customer-managed-key-not-accessible", TestServer.field(body, "error"));
      assertTrue(TestServer.field(body, "message").contains(foreign.vaultUrl()), body);
      assertEquals(0, foreign.requestCount(), "requests reached the vault not configured: "
          + foreign.requests());
      assertEquals(200, get(base, OWN).statusCode(), "the store's own instances are still served");
    }
  }

  private AzureKeyVaultProvider loopbackProvider(String... vaults) {
    AzureKeyVaultProviderBuilder b =
        LoopbackAzure.providerBuilder(server, identity);
    for (String v : vaults) {
      b.addVault(v.trim());
    }
    return b.build();
  }

  private HttpResponse<String> put(URI base, String path, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/dicom")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<byte[]> get(URI base, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
