package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SecretBytesTest {

  @Test
  void toString_showsLengthOnly() {
    SecretBytes s = SecretBytes.copyOf(new byte[] {0x41, 0x42, (byte) 0xde, (byte) 0xad});
    assertEquals("SecretBytes[4 bytes]", s.toString());
    s.destroy();
    assertEquals("SecretBytes[4 bytes, destroyed]", s.toString());
  }

  @Test
  void copyOf_copiesInAndOut() {
    byte[] in = {1, 2, 3};
    SecretBytes s = SecretBytes.copyOf(in);
    in[0] = 9;
    byte[] out = s.copy();
    assertArrayEquals(new byte[] {1, 2, 3}, out);
    out[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, s.copy());
    assertNotSame(s.copy(), s.copy());
    assertEquals(3, s.length());
  }

  @Test
  void destroy_zeroesOwnedArrayAndBlocksCopy() {
    byte[] owned = {1, 2, 3, 4};
    SecretBytes s = SecretBytes.wrapOwned(owned);
    assertFalse(s.isDestroyed());
    s.destroy();
    assertTrue(s.isDestroyed());
    assertArrayEquals(new byte[4], owned, "the secret's own array is overwritten with zeros");
    assertThrows(IllegalStateException.class, s::copy);
    assertEquals(4, s.length(), "length stays available");
    s.destroy(); // idempotent
    assertTrue(s.isDestroyed());
  }

  @Test
  void emptyOrNull_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> SecretBytes.copyOf(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> SecretBytes.wrapOwned(new byte[0]));
    assertEquals("bytes", assertThrows(NullPointerException.class, () -> SecretBytes.copyOf(null)).getMessage());
    assertEquals("bytes", assertThrows(NullPointerException.class, () -> SecretBytes.wrapOwned(null)).getMessage());
  }

  @Test
  void equals_sameBytesEqualOtherBytesOrLengthsDoNot() {
    SecretBytes a = SecretBytes.copyOf(new byte[] {1, 2, 3});
    assertEquals(a, SecretBytes.copyOf(new byte[] {1, 2, 3}));
    assertEquals(a.hashCode(), SecretBytes.copyOf(new byte[] {1, 2, 3}).hashCode());
    assertNotEquals(a, SecretBytes.copyOf(new byte[] {1, 2, 4}));
    assertNotEquals(a, SecretBytes.copyOf(new byte[] {1, 2, 3, 0}));
    assertNotEquals(a, new byte[] {1, 2, 3});
    assertNotEquals(a, null);
  }

  @Test
  void equals_destroyedSecret_equalsNoOtherSecret() {
    SecretBytes a = SecretBytes.copyOf(new byte[] {1, 2, 3});
    SecretBytes b = SecretBytes.copyOf(new byte[] {1, 2, 3});
    a.destroy();
    assertNotEquals(a, b);
    assertNotEquals(b, a);
    SecretBytes zeros = SecretBytes.copyOf(new byte[3]);
    assertNotEquals(a, zeros, "a destroyed secret is not equal to zeros either");
  }

  @Test
  void hashCode_dependsOnLengthOnly() {
    assertEquals(
        SecretBytes.copyOf(new byte[] {1, 2}).hashCode(),
        SecretBytes.copyOf(new byte[] {7, 8}).hashCode());
  }

  @Test
  void copyAndDestroy_concurrently_copyIsCompleteOrRefused() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 200; round++) {
        byte[] value = new byte[256];
        java.util.Arrays.fill(value, (byte) 0x5a);
        SecretBytes s = SecretBytes.copyOf(value);
        CountDownLatch go = new CountDownLatch(1);
        Future<byte[]> copier =
            pool.submit(
                () -> {
                  go.await();
                  try {
                    return s.copy();
                  } catch (IllegalStateException destroyed) {
                    return null;
                  }
                });
        Future<?> destroyer =
            pool.submit(
                () -> {
                  go.await();
                  s.destroy();
                  return null;
                });
        go.countDown();
        destroyer.get(10, TimeUnit.SECONDS);
        byte[] copy = copier.get(10, TimeUnit.SECONDS);
        if (copy != null) {
          assertArrayEquals(value, copy, "a copy is never partially zeroed");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
