package dev.cmk.benchmarks;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Shared set-up: the cmk instance under test, the associated data and the plaintexts. */
final class Fixtures {
  /** Associated data of every message, cmk and baseline alike (a typical FHIR context). */
  static final byte[] AAD = "resourceType=Patient,id=123,version=1".getBytes(StandardCharsets.UTF_8);

  private Fixtures() {}

  /**
   * A cmk instance writing under a fresh RSA-2048 key of an in-memory provider, with the given
   * segment size and otherwise default settings (data-key reuse and cache limits included).
   */
  static EnvelopeCrypto envelopeCrypto(int segmentSize) {
    InMemoryKeyProvider provider = InMemoryKeyProvider.builder().build();
    KeyReference key = provider.createKey("bench", 2048);
    return EnvelopeCrypto.builder().provider(provider).writeKey(key).segmentSize(segmentSize).build();
  }

  /** {@code size} pseudo-random bytes, the same for a given size on every run. */
  static byte[] plaintext(int size) {
    byte[] b = new byte[size];
    SplittableRandom random = new SplittableRandom(size);
    int i = 0;
    for (; i + 8 <= size; i += 8) {
      long v = random.nextLong();
      for (int k = 0; k < 8; k++) {
        b[i + k] = (byte) (v >>> (8 * k));
      }
    }
    for (; i < size; i++) {
      b[i] = (byte) random.nextInt();
    }
    return b;
  }
}
