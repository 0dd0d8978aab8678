package dev.cmk.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The states a data key caches must give exactly what computing from scratch gives: the header
 * HMAC from the cached static-part state equals a fresh HMAC, whichever static part was seen last
 * and under concurrent use; and nothing is served after destroy.
 */
class DataKeyTest {
  private static final byte[] LABEL = "cmk/v1/header".getBytes(StandardCharsets.US_ASCII);

  private static byte[] key(int seed) {
    byte[] k = new byte[32];
    new Random(seed).nextBytes(k);
    return k;
  }

  private static byte[] header(int seed, int length) {
    byte[] h = new byte[length];
    new Random(seed).nextBytes(h);
    return h;
  }

  private static byte[] fresh(byte[] key, byte[] header) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    mac.update(LABEL);
    return mac.doFinal(header);
  }

  private static byte[] cached(DataKey dk, byte[] header, int staticLength) {
    Mac mac = dk.headerMac(LABEL, header, staticLength);
    mac.update(header, staticLength, header.length - staticLength);
    return mac.doFinal();
  }

  @Test
  void headerMac_cachedStaticPart_equalsHmacFromScratch() throws Exception {
    byte[] k = key(1);
    DataKey dk = DataKey.of(SecretBytes.wrapOwned(k.clone()));
    byte[] a = header(2, 400);
    byte[] a2 = a.clone();
    a2[a2.length - 1] ^= 1; // same static part, other nonce prefix
    byte[] b = header(3, 400); // another static part
    for (byte[] h : new byte[][] {a, a2, b, a, b, b, a2}) {
      assertArrayEquals(fresh(k, h), cached(dk, h, 360));
    }
  }

  @Test
  void headerMac_twoStaticPartsFromFourThreads_alwaysEqualsHmacFromScratch() throws Exception {
    byte[] k = key(4);
    DataKey dk = DataKey.of(SecretBytes.wrapOwned(k.clone()));
    byte[][] headers = {header(5, 380), header(6, 380), header(7, 381)};
    byte[][] expected = new byte[3][];
    for (int i = 0; i < 3; i++) {
      expected[i] = fresh(k, headers[i]);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        results.add(
            pool.submit(
                () -> {
                  Random r = new Random(seed);
                  for (int n = 0; n < 5_000; n++) {
                    int i = r.nextInt(3);
                    int staticLength = headers[i].length - EnvelopeHeader.NONCE_PREFIX_LENGTH
                        - EnvelopeHeader.TAG_LENGTH;
                    if (!java.util.Arrays.equals(expected[i], cached(dk, headers[i], staticLength))) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> f : results) {
        assertTrue(f.get(), "a cached state gave a wrong HMAC");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void destroy_everyDerivedStateRefusedAndSecretZeroed() {
    SecretBytes secret = SecretBytes.wrapOwned(key(8));
    DataKey dk = DataKey.of(secret);
    byte[] h = header(9, 300);
    cached(dk, h, 260);
    assertFalse(dk.isDestroyed());
    dk.destroy();
    assertTrue(dk.isDestroyed());
    assertThrows(IllegalStateException.class, dk::newMac);
    assertThrows(IllegalStateException.class, dk::bodyKey);
    assertThrows(IllegalStateException.class, () -> dk.headerMac(LABEL, h, 260));
    assertThrows(IllegalStateException.class, secret::copy);
  }

  /** Format 2's derivations, computed from their definitions (pins the big-endian slot). */
  @Test
  void formatTwo_recordIdAndSlotKeys_matchTheirDefinitions() throws Exception {
    byte[] dk = key(42);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(dk, "HmacSHA256"));
    byte[] id = mac.doFinal("cmk/v2/data-key-id".getBytes(StandardCharsets.US_ASCII));
    mac.update("cmk/v2/body-key".getBytes(StandardCharsets.US_ASCII));
    byte[] slotKey = mac.doFinal(new byte[] {1, 2, 3, 4});
    DataKey key = DataKey.of(SecretBytes.wrapOwned(dk.clone()));
    assertArrayEquals(id, key.recordId());
    assertTrue(key.hasRecordId(id));
    assertArrayEquals(slotKey, key.slotKey(0x01020304L).getEncoded());
    for (long slot = 0; slot < DataKey.MAX_SLOT_KEYS + 5; slot++) {
      assertFalse(java.util.Arrays.equals(slotKey, key.slotKey(slot).getEncoded()));
    }
    key.destroy();
    assertThrows(IllegalStateException.class, () -> key.slotKey(1));
  }
}
