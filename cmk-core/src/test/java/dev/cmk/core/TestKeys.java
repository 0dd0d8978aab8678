package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;

/** Shared, lazily created in-memory key (RSA key generation is slow; tests share one). */
final class TestKeys {
  private static InMemoryKeyProvider provider;
  private static KeyReference key;

  private TestKeys() {}

  static synchronized InMemoryKeyProvider provider() {
    if (provider == null) {
      provider = InMemoryKeyProvider.builder().build();
      key = provider.createKey("shared-test-key", 2048);
    }
    return provider;
  }

  static synchronized KeyReference key() {
    provider();
    return key;
  }

  static EnvelopeCrypto crypto(int segmentSize) {
    return EnvelopeCrypto.builder()
        .provider(provider())
        .writeKey(key())
        .segmentSize(segmentSize)
        .build();
  }
}
