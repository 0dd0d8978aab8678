package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Envelopes under one data key share its body key, so the nonce prefix is what keeps GCM nonces
 * from repeating: these tests pin that every envelope of a data key gets a different prefix, under
 * concurrency and for streams too, and that a data key is retired before its counter could wrap.
 */
class NoncePrefixTest {
  private static final byte[] AAD = "Patient/1/1".getBytes();

  private static long prefix(byte[] envelope) {
    return TestKeys.headerOf(envelope).noncePrefix();
  }

  private static byte[] staticPart(byte[] envelope) {
    return Arrays.copyOf(envelope, TestKeys.headerOf(envelope).staticLength());
  }

  @Test
  void encrypt_fourThreadsOneDataKey_everyEnvelopeHasItsOwnNoncePrefix() throws Exception {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    int threads = 4;
    int perThread = 5_000;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<byte[]>>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  List<byte[]> out = new ArrayList<>();
                  for (int i = 0; i < perThread; i++) {
                    out.add(crypto.encrypt(new byte[i % 600], AAD));
                  }
                  return out;
                }));
      }
      start.countDown();
      Set<Long> prefixes = new HashSet<>();
      byte[] first = null;
      for (Future<List<byte[]>> f : results) {
        for (byte[] e : f.get()) {
          prefixes.add(prefix(e));
          if (first == null) {
            first = e;
          }
          assertArrayEquals(staticPart(first), staticPart(e), "all under one data key");
        }
      }
      assertEquals(threads * perThread, prefixes.size(), "no nonce prefix was handed out twice");
      assertEquals(1, crypto.diagnostics().dataKeysCreated());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void encryptingStream_andOneShot_interleaved_getDistinctPrefixesAndBothDecrypt()
      throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    byte[] data = new byte[1000];
    Arrays.fill(data, (byte) 7);
    byte[] oneShot;
    try (OutputStream stream = crypto.encryptingStream(sink, AAD)) {
      stream.write(data, 0, 300);
      oneShot = crypto.encrypt(data, AAD);
      stream.write(data, 300, 700);
    }
    byte[] streamed = sink.toByteArray();
    assertNotEquals(prefix(streamed), prefix(oneShot));
    assertArrayEquals(data, crypto.decrypt(streamed, AAD));
    assertArrayEquals(data, crypto.decrypt(oneShot, AAD));
  }

  @Test
  void noncePrefixes_startAtARandomPointPerDataKey() {
    EnvelopeCrypto a = TestKeys.crypto(256);
    EnvelopeCrypto b = TestKeys.crypto(256);
    long pa = prefix(a.encrypt(new byte[1], AAD));
    long pb = prefix(b.encrypt(new byte[1], AAD));
    // Consecutive from a random 56-bit start: equal starts have probability 2^-56.
    assertNotEquals(pa, pb);
    assertEquals((pa + 1) & ((1L << 56) - 1), prefix(a.encrypt(new byte[1], AAD)));
  }

  @Test
  void messageLimit_reached_nextEnvelopeUsesANewDataKey() {
    EnvelopeCrypto crypto =
        EnvelopeCrypto.builder()
            .provider(TestKeys.provider())
            .writeKey(TestKeys.key())
            .dataKeyLimits(new DataKeyLimits(3, Long.MAX_VALUE, Duration.ofHours(1)))
            .build();
    List<byte[]> envelopes = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      envelopes.add(crypto.encrypt(new byte[] {(byte) i}, AAD));
    }
    assertEquals(3, crypto.diagnostics().dataKeysCreated());
    Set<String> dataKeys = new HashSet<>();
    for (byte[] e : envelopes) {
      dataKeys.add(Arrays.toString(staticPart(e)));
    }
    assertEquals(3, dataKeys.size());
    for (int i = 0; i < 7; i++) {
      assertArrayEquals(new byte[] {(byte) i}, crypto.decrypt(envelopes.get(i), AAD));
    }
  }

  @Test
  void dataKeys_areRandom_distinctPerKeyAndNotZero() {
    EnvelopeCrypto crypto =
        EnvelopeCrypto.builder()
            .provider(TestKeys.provider())
            .writeKey(TestKeys.key())
            .dataKeyLimits(DataKeyLimits.singleUse())
            .build();
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      byte[] key = dataKeyOf(crypto.encrypt(new byte[] {(byte) i}, AAD));
      assertEquals(32, key.length);
      assertNotEquals(Arrays.toString(new byte[32]), Arrays.toString(key), "not all zeros");
      keys.add(Arrays.toString(key));
    }
    assertEquals(4, keys.size(), "every data key is fresh");
  }

  private static byte[] dataKeyOf(byte[] envelope) {
    return TestKeys.provider().unwrap(TestKeys.wrappedKeyOf(envelope)).copy();
  }
}
