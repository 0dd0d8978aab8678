package dev.cmk.core;

import dev.cmk.api.KeyReference;
import dev.cmk.core.internal.EnvelopeHeader;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;

/**
 * Shared, lazily created in-memory key (RSA key generation is slow; tests share one), behind a
 * {@link FaultInjectingProvider} so that tests count calls and inject latency.
 */
final class TestKeys {
  private static FaultInjectingProvider provider;
  private static KeyReference key;

  private TestKeys() {}

  static synchronized FaultInjectingProvider provider() {
    if (provider == null) {
      InMemoryKeyProvider keys = InMemoryKeyProvider.builder().build();
      key = keys.manager().createKey("shared-test-key", 2048);
      provider = FaultInjectingProvider.wrapping(keys);
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
    EnvelopeInfo info = EnvelopeInfo.of(envelope);
    return new dev.cmk.api.WrappedKey(
        info.providerId(),
        info.keyReference(),
        info.wrapAlgorithm(),
        headerOf(envelope).wrappedKeyBytes());
  }

  /**
   * {@code envelope}'s header, parsed by the library's own parser, so tests that tamper with a
   * field find it by name ({@code noncePrefixOffset()}, {@code routingOffset()}) rather than by
   * offset arithmetic.
   */
  static EnvelopeHeader headerOf(byte[] envelope) {
    return EnvelopeHeader.parse(
        java.util.Arrays.copyOf(envelope, EnvelopeInfo.of(envelope).headerLength()));
  }
}
