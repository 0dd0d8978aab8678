package dev.cmk.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The baseline must be real authenticated encryption, or the ratios against it mean nothing. */
class RawGcmTest {
  private static final int SEGMENT = 1024;
  private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);

  @Test
  void seal_thenOpen_returnsPlaintext() throws Exception {
    RawGcm gcm = new RawGcm(new SecureRandom());
    byte[] plaintext = Fixtures.plaintext(1000);
    byte[] message = gcm.seal(plaintext, AAD);
    assertEquals(1000 + RawGcm.NONCE_LENGTH + RawGcm.TAG_LENGTH, message.length);
    assertArrayEquals(plaintext, gcm.open(message, AAD));
  }

  @Test
  void seal_twice_usesFreshNonces() throws Exception {
    RawGcm gcm = new RawGcm(new SecureRandom());
    byte[] plaintext = Fixtures.plaintext(64);
    byte[] a = gcm.seal(plaintext, AAD);
    byte[] b = gcm.seal(plaintext, AAD);
    assertEquals(false, Arrays.equals(a, 0, RawGcm.NONCE_LENGTH, b, 0, RawGcm.NONCE_LENGTH));
  }

  @Test
  void open_flippedBitOrOtherAad_throws() throws Exception {
    RawGcm gcm = new RawGcm(new SecureRandom());
    byte[] message = gcm.seal(Fixtures.plaintext(100), AAD);
    byte[] tampered = message.clone();
    tampered[40] ^= 1;
    assertThrows(AEADBadTagException.class, () -> gcm.open(tampered, AAD));
    assertThrows(AEADBadTagException.class, () -> gcm.open(message, new byte[0]));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 7})
  void sealSegments_thenOpenSegments_returnsPlaintext(int size) throws Exception {
    RawGcm gcm = new RawGcm(new SecureRandom());
    byte[] plaintext = Fixtures.plaintext(size);
    ByteArrayOutputStream sealed = new ByteArrayOutputStream();
    gcm.sealSegments(plaintext, SEGMENT, sealed);
    int segments = Math.max(1, (size + SEGMENT - 1) / SEGMENT);
    assertEquals(
        RawGcm.PREFIX_LENGTH + size + segments * RawGcm.TAG_LENGTH, sealed.size());
    ByteArrayOutputStream opened = new ByteArrayOutputStream();
    long n =
        gcm.openSegments(
            new ByteArrayInputStream(sealed.toByteArray()), SEGMENT, (b, len) -> opened.write(b, 0, len));
    assertEquals(size, n);
    assertArrayEquals(plaintext, opened.toByteArray());
  }

  @Test
  void openSegments_truncatedAtSegmentBoundary_throws() throws Exception {
    RawGcm gcm = new RawGcm(new SecureRandom());
    ByteArrayOutputStream sealed = new ByteArrayOutputStream();
    gcm.sealSegments(Fixtures.plaintext(3 * SEGMENT), SEGMENT, sealed);
    byte[] truncated =
        Arrays.copyOf(sealed.toByteArray(), RawGcm.PREFIX_LENGTH + 2 * (SEGMENT + RawGcm.TAG_LENGTH));
    assertThrows(
        AEADBadTagException.class,
        () -> gcm.openSegments(new ByteArrayInputStream(truncated), SEGMENT, (b, len) -> {}));
  }
}
