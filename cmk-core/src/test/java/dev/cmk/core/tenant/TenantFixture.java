package dev.cmk.core.tenant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.TestKeyPairs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * N tenants on two in-memory "vaults" (one provider each, shared by half the tenants), each
 * tenant with its own key; a manual clock; a registry whose probe wheel the test turns.
 */
final class TenantFixture implements AutoCloseable {
  static final byte[] DATA = "{\"blob\":\"customer data\"}".getBytes(StandardCharsets.UTF_8);
  static final String VAULT_A = "vault-a";
  static final String VAULT_B = "vault-b";

  final ManualClock clock = ManualClock.create();
  final Map<String, InMemoryKeyProvider> backends = new LinkedHashMap<>();
  final Map<String, CountingProvider> providers = new LinkedHashMap<>();
  final Map<String, TenantKeys> config = new ConcurrentHashMap<>();
  final Map<String, KeyReference> versions = new ConcurrentHashMap<>();
  final AtomicInteger factoryCalls = new AtomicInteger();
  final List<String> ids = new ArrayList<>();
  final TenantRegistry registry;

  TenantFixture(int tenants, Consumer<TenantRegistryBuilder> settings) {
    for (String vault : List.of(VAULT_A, VAULT_B)) {
      InMemoryKeyProvider backend = InMemoryKeyProvider.builder().id("vault").clock(clock).build();
      backends.put(vault, backend);
      providers.put(vault, new CountingProvider(backend, clock));
    }
    for (int i = 0; i < tenants; i++) {
      String id = String.format("tenant-%04d", i);
      String vault = i % 2 == 0 ? VAULT_A : VAULT_B;
      KeyReference version = backends.get(vault).manager().importKey(id, TestKeyPairs.rsa2048());
      versions.put(id, version);
      config.put(id, TenantKeys.of(vault, version.versionless(), KeyPolicy.dicomService()));
      ids.add(id);
    }
    TenantRegistryBuilder b = TenantRegistry.builder()
        .source(id -> Optional.ofNullable(config.get(id)))
        .providerFactory(name -> {
          factoryCalls.incrementAndGet();
          return providers.get(name);
        })
        .clock(clock)
        .sleeper(clock::advance)
        .manualProbes();
    settings.accept(b);
    registry = b.build();
  }

  static byte[] aad(String tenant) {
    return ("blobs/" + tenant + "/1").getBytes(StandardCharsets.UTF_8);
  }

  String vaultOf(String tenant) {
    return config.get(tenant).provider();
  }

  CountingProvider providerOf(String tenant) {
    return providers.get(vaultOf(tenant));
  }

  void revoke(String tenant) {
    backends.get(vaultOf(tenant)).manager().setEnabled(versions.get(tenant), false);
  }

  void restore(String tenant) {
    backends.get(vaultOf(tenant)).manager().setEnabled(versions.get(tenant), true);
  }

  /** Encrypts and decrypts through the registry; returns the envelope. */
  byte[] roundTrip(String tenant) {
    EnvelopeCrypto c = registry.crypto(tenant);
    byte[] envelope = c.encrypt(DATA, aad(tenant));
    assertArrayEquals(DATA, registry.crypto(tenant).decrypt(envelope, aad(tenant)));
    return envelope;
  }

  /** Advances the clock by {@code total} in steps of {@code step}, turning the wheel each step. */
  void run(Duration total, Duration step) {
    for (Duration d = Duration.ZERO; d.compareTo(total) < 0; d = d.plus(step)) {
      clock.advance(step);
      registry.probeTick();
    }
  }

  long describes() {
    return providers.values().stream().mapToLong(p -> p.describes.get()).sum();
  }

  @Override
  public void close() {
    registry.close();
  }
}
