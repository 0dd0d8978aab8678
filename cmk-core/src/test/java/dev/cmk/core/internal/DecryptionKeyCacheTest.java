package dev.cmk.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.CryptoObserver;
import dev.cmk.core.RecordingObserver;
import dev.cmk.testkit.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the decrypt side's cache accepts, keeps and destroys. */
class DecryptionKeyCacheTest {
  private static final WrappedKey WRAPPED = new WrappedKey(
      "local", KeyReference.parse("local:cache-test/v1"), WrapAlgorithm.RSA_OAEP_256, new byte[256]);
  private static final EnvelopeHeader HEADER = EnvelopeHeader.create(256, 1, WRAPPED);

  private final DecryptionKeyCache cache =
      new DecryptionKeyCache(100, Duration.ofHours(1), Clock.systemUTC(), null);

  @ParameterizedTest
  @ValueSource(ints = {1, 16, 31, 33, 64})
  void unwrappedKeyOfTheWrongLength_isRejectedAsInvalidCiphertext_destroyedAndNotCached(int length) {
    // Only an envelope made outside cmk (wrapping needs just the public key) or a faulty
    // provider can yield this; it must not become a data key.
    AtomicReference<SecretBytes> handedOut = new AtomicReference<>();
    assertThrows(InvalidCiphertextException.class, () -> cache.dataKey(HEADER, () -> {
      SecretBytes s = SecretBytes.wrapOwned(new byte[length]);
      handedOut.set(s);
      return s;
    }));
    assertTrue(handedOut.get().isDestroyed(), "the unwrapped bytes are wiped");
    assertFalse(cache.contains(HEADER));
  }

  @Test
  void unwrappedKeyOf32Bytes_isCachedAndServedWithoutAnotherUnwrap() {
    DataKey first = cache.dataKey(HEADER, () -> SecretBytes.wrapOwned(new byte[32]));
    DataKey second = cache.dataKey(HEADER, () -> {
      throw new AssertionError("cached: no second unwrap");
    });
    assertSame(first, second);
  }

  @Test
  void seedingARoutingThatIsAlreadyCached_destroysTheReplacedKey() {
    DataKey loaded = cache.dataKey(HEADER, () -> SecretBytes.wrapOwned(new byte[32]));
    cache.put(EnvelopeHeader.routingBytes(WRAPPED), KeyVersionId.of(WRAPPED),
        SecretBytes.wrapOwned(new byte[32]));
    assertTrue(loaded.isDestroyed(), "the replaced key does not linger");
    DataKey now = cache.dataKey(HEADER, () -> {
      throw new AssertionError("the seeded key is cached");
    });
    assertNotSame(loaded, now);
    assertFalse(now.isDestroyed());
  }

  @Test
  void noObserver_cacheRecordsNoStatistics() {
    assertFalse(cache.recordsStats(), "the unobserved path is Caffeine's cache without stats");
    assertTrue(SafeObserver.of(CryptoObserver.noop()) == null, "the no-op observer is no observer");
  }

  @Test
  void observer_hitsAndMissesReported_containsIsNeither() {
    RecordingObserver counts = new RecordingObserver();
    DecryptionKeyCache observed = new DecryptionKeyCache(100, Duration.ofHours(1),
        Clock.systemUTC(), SafeObserver.of(counts));
    assertTrue(observed.recordsStats());
    observed.dataKey(HEADER, () -> SecretBytes.wrapOwned(new byte[DataKey.LENGTH]));
    observed.dataKey(HEADER, () -> SecretBytes.wrapOwned(new byte[DataKey.LENGTH]));
    observed.dataKey(HEADER, () -> SecretBytes.wrapOwned(new byte[DataKey.LENGTH]));
    assertTrue(observed.contains(HEADER));
    assertEquals(1, counts.misses.get());
    assertEquals(2, counts.hits.get());
  }

  private static EnvelopeHeader headerUnder(String version, int seed) {
    byte[] wrapped = new byte[256];
    wrapped[0] = (byte) seed;
    return EnvelopeHeader.create(256, 1, new WrappedKey("local",
        KeyReference.parse("local:cache-test/" + version), WrapAlgorithm.RSA_OAEP_256, wrapped));
  }

  private static DataKey load(DecryptionKeyCache c, EnvelopeHeader h) {
    return c.dataKey(h, () -> SecretBytes.wrapOwned(new byte[32]));
  }

  @Test
  void invalidateVersion_destroysAndForgetsOnlyThatVersionsKeys() {
    DataKey v1a = load(cache, headerUnder("v1", 1));
    DataKey v1b = load(cache, headerUnder("v1", 2));
    DataKey v2 = load(cache, headerUnder("v2", 3));

    cache.invalidate(KeyVersionId.of(headerUnder("v1", 1)));

    assertTrue(v1a.isDestroyed() && v1b.isDestroyed(), "the version's keys are wiped at once");
    assertFalse(v2.isDestroyed());
    assertEquals(1, cache.size());
    assertFalse(cache.contains(headerUnder("v1", 1)));
    assertTrue(cache.contains(headerUnder("v2", 3)));
  }

  @Test
  void invalidateAll_destroysEveryKey() {
    DataKey a = load(cache, headerUnder("v1", 1));
    DataKey b = load(cache, headerUnder("v2", 2));

    cache.invalidateAll();

    assertTrue(a.isDestroyed() && b.isDestroyed());
    assertEquals(0, cache.size());
  }

  @Test
  void keyOlderThanMaxAge_isDestroyedAndLoadedAgain() {
    ManualClock clock = ManualClock.create();
    DecryptionKeyCache aging = new DecryptionKeyCache(100, Duration.ofMinutes(10), clock, null);
    DataKey first = load(aging, HEADER);
    clock.advance(Duration.ofMinutes(10).minusNanos(1));
    assertSame(first, load(aging, HEADER), "served until its maximum age");

    clock.advance(Duration.ofNanos(1));

    assertEquals(0, aging.size());
    assertTrue(first.isDestroyed(), "an expired key is wiped, not left to the garbage collector");
    DataKey again = load(aging, HEADER);
    assertNotSame(first, again);
    assertFalse(again.isDestroyed());
  }

  @Test
  void keyEvictedForSize_isDestroyed() {
    DecryptionKeyCache small = new DecryptionKeyCache(1, Duration.ofHours(1), Clock.systemUTC(), null);
    DataKey[] keys = new DataKey[20];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = load(small, headerUnder("v1", i));
    }

    assertEquals(1, small.size());
    long alive = java.util.Arrays.stream(keys).filter(k -> !k.isDestroyed()).count();
    assertEquals(1, alive, "every evicted key is wiped; only the one still cached is not");
  }
}
