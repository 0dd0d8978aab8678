package dev.cmk.examples.fhir;

import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyConfiguration;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;

/**
 * The key a test's server encrypts under: an in-memory vault on a manual clock, holding the
 * RSA-2048 key {@code fhir-cmk}, and the key configuration that writes with that key.
 *
 * @param clock the clock of the vault (and, in the tests, of the server)
 * @param vault the vault
 * @param key the key's first version
 * @param configuration the vault with the versionless key as write key
 */
record TestVault(
    ManualClock clock, InMemoryKeyProvider vault, KeyReference key, KeyConfiguration configuration) {

  /** {@return a new vault, on a new manual clock, holding a new key {@code fhir-cmk}} */
  static TestVault create() {
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider vault = InMemoryKeyProvider.builder().clock(clock).build();
    KeyReference key = vault.createKey("fhir-cmk", 2048);
    return new TestVault(clock, vault, key, new KeyConfiguration(vault, key.versionless()));
  }
}
