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

  /** The wrapped data key stored in {@code envelope}'s header. */
  static dev.cmk.api.WrappedKey wrappedKeyOf(byte[] envelope) {
    EnvelopeInfo info = EnvelopeCrypto.inspect(envelope);
    // The wrapped key ends where the 7-byte nonce prefix and the 32-byte tag begin.
    int end = info.headerLength() - 7 - 32;
    return new dev.cmk.api.WrappedKey(
        info.providerId(),
        info.keyReference(),
        info.wrapAlgorithm(),
        java.util.Arrays.copyOfRange(envelope, end - info.wrappedKeyLength(), end));
  }
}
