package dev.cmk.core.tenant;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The READMEs' "Keys and tenants" example, compiled and run, so it cannot rot. */
class TenantsReadmeTest {

  @Test
  void keysAndTenants_asPrintedInReadme_eachTenantUnderItsOwnKey() {
    InMemoryKeyProvider euVault = InMemoryKeyProvider.builder().id("vault").build();
    InMemoryKeyProvider usVault = InMemoryKeyProvider.builder().id("vault").build();
    Map<String, KeyEncryptionKeyProvider> vaults =
        Map.of("eu-vault/storage-identity", euVault, "us-vault/storage-identity", usVault);
    KeyReference contosoKey = euVault.manager().createKey("contoso-blobs", 2048).versionless();
    KeyReference fabrikamKey = usVault.manager().createKey("fabrikam-blobs", 3072).versionless();
    byte[] blob = "{\"blob\":1}".getBytes(UTF_8);
    byte[] aad = "containers/invoices/2026-12.json".getBytes(UTF_8);
    // tenants:start
    Map<String, TenantKeys> table = new ConcurrentHashMap<>(); // your tenant table
    table.put("contoso", TenantKeys.of("eu-vault/storage-identity", contosoKey,
        KeyPolicy.dicomService()));
    table.put("fabrikam", TenantKeys.of("us-vault/storage-identity", fabrikamKey,
        KeyPolicy.dicomService()));

    TenantRegistry tenants = TenantRegistry.builder()
        .source(tenantId -> Optional.ofNullable(table.get(tenantId)))
        .providerFactory(vaults::get)           // one provider per vault and identity
        .build();

    byte[] envelope = tenants.crypto("contoso").encrypt(blob, aad);
    byte[] back = tenants.crypto("contoso").decrypt(envelope, aad);
    KeyAccessState state = tenants.status("fabrikam").state(); // per tenant
    tenants.refresh("fabrikam");   // after its grace period, or a change in the table
    tenants.close();
    // tenants:end
    assertArrayEquals(blob, back);
    assertEquals(KeyAccessState.AVAILABLE, state);
  }

  @Test
  void readmes_containTheTenantsExampleVerbatim() throws IOException {
    String source = Files.readString(
        Path.of("src/test/java/dev/cmk/core/tenant/TenantsReadmeTest.java"));
    String snippet = source.substring(source.indexOf("// tenants:start") + 17,
        source.indexOf("    // tenants:end"));
    for (Path readme : new Path[] {Path.of("README.md"), Path.of("../README.md")}) {
      String text = Files.readString(readme);
      for (String line : snippet.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
        assertTrue(text.contains(line), readme + " is missing the line: " + line);
      }
    }
  }
}
