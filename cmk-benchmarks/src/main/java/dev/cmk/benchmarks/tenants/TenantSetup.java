package dev.cmk.benchmarks.tenants;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.tenant.TenantKeys;
import dev.cmk.core.tenant.TenantRegistry;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.TestKeyPairs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenants of a storage service on one in-memory "vault" (one shared provider): each tenant has its
 * own RSA-2048 key (all imported from one key pair, so that set-up needs no key generation), the
 * DICOM policy and the default loss-of-access timing, on the real clock with the registry's own
 * probe wheel and probe threads.
 */
final class TenantSetup {
  static final String VAULT = "vault-1";

  final InMemoryKeyProvider vault = InMemoryKeyProvider.builder().id("vault").build();
  final Map<String, TenantKeys> table = new ConcurrentHashMap<>();
  final Map<String, KeyReference> versions = new ConcurrentHashMap<>();
  final List<String> ids = new ArrayList<>();

  TenantSetup(int tenants) {
    for (int i = 0; i < tenants; i++) {
      String id = String.format("tenant-%05d", i);
      KeyReference version = vault.importKey(id, TestKeyPairs.rsa2048());
      versions.put(id, version);
      table.put(id, TenantKeys.of(VAULT, version.versionless(), KeyPolicy.dicomService()));
      ids.add(id);
    }
  }

  TenantRegistry registry(long maxTenants) {
    return TenantRegistry.builder()
        .source(id -> Optional.ofNullable(table.get(id)))
        .providerFactory(name -> vault)
        .maxTenants(maxTenants)
        .build();
  }

  static byte[] aad(String tenant) {
    return ("blobs/" + tenant + "/1").getBytes(StandardCharsets.UTF_8);
  }

  /** One encrypt and one decrypt, checked: the tenant is built and warm. */
  static void warm(TenantRegistry registry, String tenant, byte[] plaintext) {
    EnvelopeCrypto c = registry.crypto(tenant);
    byte[] envelope = c.encrypt(plaintext, aad(tenant));
    if (!java.util.Arrays.equals(plaintext, c.decrypt(envelope, aad(tenant)))) {
      throw new IllegalStateException("round trip failed for " + tenant);
    }
  }
}
