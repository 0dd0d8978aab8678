package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decrypt-side data-key cache: single flight, bounds, expiry with a manual clock, purge. */
class DataKeyCacheTest {
  private static final byte[] AAD = "a".getBytes(StandardCharsets.UTF_8);
  private final ManualClock clock = ManualClock.create();
  private final ExecutorService pool = Executors.newFixedThreadPool(64);

  @AfterEach
  void shutdown() {
    pool.shutdownNow();
  }

  private static FaultInjectingProvider provider() {
    return TestKeys.provider();
  }

  /** A reader that has never seen any data key (separate cache from the writer). */
  /**
   * A decrypt-only reader. Its probe interval is longer than every test here runs, so the unwraps
   * counted are data-key unwraps, not the re-confirmations of the key version (VersionWatch, which
   * VersionRevocationTest pins).
   */
  private EnvelopeCrypto reader(DataKeyCacheSettings settings) {
    return EnvelopeCrypto.builder().provider(provider()).clock(clock).dataKeyCache(settings)
        .keyAccess(KeyAccessSettings.DEFAULT.withProbeInterval(Duration.ofDays(1))).build();
  }

  @Test
  void decrypt_64ThreadsOnOneUncachedDataKey_unwrapExactlyOnce() throws Exception {
    byte[] envelope = TestKeys.crypto(4096).encrypt(new byte[100], AAD);
    EnvelopeCrypto reader = reader(DataKeyCacheSettings.DEFAULT);
    provider().setLatency(Duration.ofMillis(200));
    long before = provider().unwrapCount();
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return reader.decrypt(envelope, AAD);
                }));
      }
      start.countDown();
      for (Future<byte[]> f : results) {
        assertArrayEquals(new byte[100], f.get(30, TimeUnit.SECONDS));
      }
    } finally {
      provider().setLatency(Duration.ZERO);
    }
    assertEquals(1, provider().unwrapCount() - before);
  }

  @Test
  void decrypt_envelopesSharingADataKey_shareOneUnwrap() {
    EnvelopeCrypto writer = TestKeys.crypto(4096);
    List<byte[]> envelopes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      envelopes.add(writer.encrypt(new byte[] {(byte) i}, AAD));
    }
    EnvelopeCrypto reader = reader(DataKeyCacheSettings.DEFAULT);
    long before = provider().unwrapCount();
    for (int i = 0; i < 100; i++) {
      assertArrayEquals(new byte[] {(byte) i}, reader.decrypt(envelopes.get(i), AAD));
    }
    assertEquals(1, provider().unwrapCount() - before);
  }

  @Test
  void decrypt_afterMaxAge_unwrapsAgain() {
    byte[] envelope = TestKeys.crypto(4096).encrypt(new byte[10], AAD);
    EnvelopeCrypto reader = reader(new DataKeyCacheSettings(100, Duration.ofMinutes(10)));
    long before = provider().unwrapCount();
    reader.decrypt(envelope, AAD);
    clock.advance(Duration.ofMinutes(9));
    reader.decrypt(envelope, AAD);
    assertEquals(1, provider().unwrapCount() - before);
    clock.advance(Duration.ofMinutes(2));
    assertEquals(0, reader.diagnostics().cachedDataKeys(), "expired entry is evicted");
    reader.decrypt(envelope, AAD);
    assertEquals(2, provider().unwrapCount() - before);
  }

  @Test
  void cache_maxEntries_bounded() {
    EnvelopeCrypto writer =
        EnvelopeCrypto.builder()
            .provider(provider())
            .writeKey(TestKeys.key())
            .dataKeyLimits(DataKeyLimits.singleUse())
            .build();
    EnvelopeCrypto reader = reader(new DataKeyCacheSettings(5, Duration.ofHours(1)));
    for (int i = 0; i < 20; i++) {
      reader.decrypt(writer.encrypt(new byte[1], AAD), AAD);
    }
    assertTrue(reader.diagnostics().cachedDataKeys() <= 5, "cache holds " + reader.diagnostics().cachedDataKeys());
  }

  @Test
  void purgeDataKeys_forcesUnwrapOnNextRead() {
    byte[] envelope = TestKeys.crypto(4096).encrypt(new byte[10], AAD);
    EnvelopeCrypto reader = reader(DataKeyCacheSettings.DEFAULT);
    long before = provider().unwrapCount();
    reader.decrypt(envelope, AAD);
    reader.diagnostics().purgeDataKeys();
    assertEquals(0, reader.diagnostics().cachedDataKeys());
    reader.decrypt(envelope, AAD);
    assertEquals(2, provider().unwrapCount() - before);
  }

  @Test
  void encrypt_readBackByTheSameInstance_needsNoUnwrap() {
    EnvelopeCrypto crypto = TestKeys.crypto(4096);
    long before = provider().unwrapCount();
    byte[] envelope = crypto.encrypt(new byte[10], AAD);
    crypto.decrypt(envelope, AAD);
    assertEquals(0, provider().unwrapCount() - before);
  }

  @Test
  void writer_dataKeyLimits_messageAndAgeLimitsRollTheDataKey() {
    EnvelopeCrypto writer =
        EnvelopeCrypto.builder()
            .provider(provider())
            .writeKey(TestKeys.key())
            .clock(clock)
            .dataKeyLimits(new DataKeyLimits(10, Long.MAX_VALUE, Duration.ofMinutes(5)))
            .build();
    long before = provider().wrapCount();
    for (int i = 0; i < 25; i++) {
      writer.encrypt(new byte[1], AAD);
    }
    assertEquals(3, provider().wrapCount() - before, "25 messages at 10 per data key");
    assertEquals(3, writer.diagnostics().dataKeysCreated());
    clock.advance(Duration.ofMinutes(5));
    writer.encrypt(new byte[1], AAD);
    assertEquals(4, provider().wrapCount() - before, "age limit rolls the key");
  }

  @Test
  void writer_byteLimit_rollsTheDataKey() {
    EnvelopeCrypto writer =
        EnvelopeCrypto.builder()
            .provider(provider())
            .writeKey(TestKeys.key())
            .dataKeyLimits(new DataKeyLimits(Long.MAX_VALUE, 1000, Duration.ofHours(1)))
            .build();
    for (int i = 0; i < 4; i++) {
      writer.encrypt(new byte[400], AAD);
    }
    assertEquals(2, writer.diagnostics().dataKeysCreated(), "1000 bytes per key: 400+400+400 | 400");
  }

  @Test
  void writer_versionlessKey_followsRotationAfterRefreshInterval() {
    InMemoryKeyProvider p = InMemoryKeyProvider.builder().build();
    KeyReference v1 = p.manager().createKey("rotating", 2048);
    EnvelopeCrypto writer =
        EnvelopeCrypto.builder()
            .provider(p)
            .writeKey(v1.versionless())
            .clock(clock)
            .keyAccess(KeyAccessSettings.DEFAULT.withProbeInterval(Duration.ofMinutes(5)))
            .build();
    byte[] old = writer.encrypt(new byte[1], AAD);
    assertEquals(v1, EnvelopeInfo.of(old).keyReference());
    KeyReference v2 = p.manager().rotateKey(v1);
    assertEquals(v1, EnvelopeInfo.of(writer.encrypt(new byte[1], AAD)).keyReference());
    clock.advance(Duration.ofMinutes(5));
    byte[] fresh = writer.encrypt(new byte[1], AAD);
    assertEquals(v2, EnvelopeInfo.of(fresh).keyReference());
    EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(p).build();
    assertArrayEquals(new byte[1], reader.decrypt(old, AAD));
    assertArrayEquals(new byte[1], reader.decrypt(fresh, AAD));
  }
}
