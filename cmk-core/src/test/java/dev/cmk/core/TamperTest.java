package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.internal.EnvelopeHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The tamper matrix: every modification of a sample envelope is rejected with the documented
 * exception, and streaming never releases a byte of a segment that failed.
 */
class TamperTest {
  private static final int SEGMENT = 256;
  private static final byte[] AAD = "resourceType=Patient,id=123".getBytes(StandardCharsets.UTF_8);
  private static final EnvelopeCrypto CRYPTO = TestKeys.crypto(SEGMENT);
  private static final int FULL = SEGMENT + 16;

  private final byte[] plaintext = plaintext(2 * SEGMENT + 88);
  private final byte[] envelope = CRYPTO.encrypt(plaintext, AAD);
  private final EnvelopeInfo info = EnvelopeInfo.of(envelope);
  private final int h = info.headerLength();

  private static byte[] plaintext(int n) {
    byte[] p = new byte[n];
    new Random(42).nextBytes(p);
    return p;
  }

  /** Which exceptions a change at header offset {@code i} may produce (documented per field). */
  private Set<Class<? extends CmkException>> allowedAt(int i) {
    int providerLen = envelope[12] & 0xff;
    int refLenAt = 13 + providerLen;
    int refStart = refLenAt + 2;
    int refLen = info.keyReference().toString().length();
    int algAt = refStart + refLen;
    if (i == 4 || i == 5 || i == algAt) { // version, suite, wrap algorithm id
      return Set.of(UnsupportedFormatException.class, InvalidCiphertextException.class);
    }
    if ((i >= 13 && i < refLenAt) || (i >= refStart && i < algAt)) { // provider id, key ref text
      return Set.of(KeyNotFoundException.class, InvalidCiphertextException.class);
    }
    return Set.of(InvalidCiphertextException.class);
  }

  @Test
  void decrypt_everySingleBitFlip_rejectedWithDocumentedException() {
    for (int i = 0; i < envelope.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] t = envelope.clone();
        t[i] ^= (byte) (1 << bit);
        Set<Class<? extends CmkException>> allowed =
            i < h ? allowedAt(i) : Set.of(InvalidCiphertextException.class);
        try {
          CRYPTO.decrypt(t, AAD);
          fail("flip of bit " + bit + " at byte " + i + " was accepted");
        } catch (CmkException e) {
          assertTrue(
              allowed.contains(e.getClass()),
              "flip at byte " + i + " gave " + e.getClass().getSimpleName());
        }
      }
    }
  }

  @Test
  void decrypt_truncatedAtEveryByte_rejected() {
    for (int n = 0; n < envelope.length; n++) {
      byte[] t = Arrays.copyOf(envelope, n);
      assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(t, AAD), "length " + n);
    }
  }

  @Test
  void decryptingStream_truncatedAtEveryByte_throwsInsteadOfEof() {
    for (int n = 0; n < envelope.length; n++) {
      byte[] t = Arrays.copyOf(envelope, n);
      assertThrows(
          InvalidCiphertextException.class,
          () -> CRYPTO.decryptingStream(new ByteArrayInputStream(t), AAD).readAllBytes(),
          "length " + n);
    }
  }

  @Test
  void decrypt_appendedBytes_rejected() {
    for (int extra : new int[] {1, 15, 16, 17, FULL}) {
      byte[] t = Arrays.copyOf(envelope, envelope.length + extra);
      assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(t, AAD));
      assertThrows(
          InvalidCiphertextException.class,
          () -> CRYPTO.decryptingStream(new ByteArrayInputStream(t), AAD).readAllBytes());
    }
    byte[] lastRepeated = concat(envelope, Arrays.copyOfRange(envelope, h + 2 * FULL, envelope.length));
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(lastRepeated, AAD));
  }

  @Test
  void decrypt_segmentsSwapped_rejected() {
    byte[] t = envelope.clone();
    System.arraycopy(envelope, h + FULL, t, h, FULL);
    System.arraycopy(envelope, h, t, h + FULL, FULL);
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(t, AAD));
  }

  @Test
  void decrypt_segmentDuplicated_rejected() {
    byte[] t =
        concat(
            Arrays.copyOf(envelope, h + FULL),
            Arrays.copyOfRange(envelope, h, envelope.length));
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(t, AAD));
  }

  @Test
  void decrypt_segmentRemoved_rejected() {
    byte[] withoutMiddle =
        concat(Arrays.copyOf(envelope, h + FULL), Arrays.copyOfRange(envelope, h + 2 * FULL, envelope.length));
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(withoutMiddle, AAD));
    byte[] withoutLast = Arrays.copyOf(envelope, h + 2 * FULL);
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(withoutLast, AAD));
  }

  @Test
  void decrypt_wrongAssociatedData_rejected() {
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(envelope, new byte[0]));
    byte[] other = AAD.clone();
    other[other.length - 1] ^= 1;
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(envelope, other));
    assertThrows(
        InvalidCiphertextException.class,
        () -> CRYPTO.decryptingStream(new ByteArrayInputStream(envelope), other).read());
  }

  @Test
  void decrypt_headerAndBodyFromDifferentDataKeys_rejected() {
    EnvelopeCrypto singleUse =
        EnvelopeCrypto.builder()
            .provider(TestKeys.provider())
            .writeKey(TestKeys.key())
            .segmentSize(SEGMENT)
            .dataKeyLimits(DataKeyLimits.singleUse())
            .build();
    byte[] a = singleUse.encrypt(plaintext, AAD);
    byte[] b = singleUse.encrypt(plaintext, AAD);
    int ha = EnvelopeInfo.of(a).headerLength();
    byte[] spliced = concat(Arrays.copyOf(a, ha), Arrays.copyOfRange(b, ha, b.length));
    assertThrows(InvalidCiphertextException.class, () -> singleUse.decrypt(spliced, AAD));
    // Key commitment: a's header with b's wrapped data key fails on the commitment tag.
    int wk = EnvelopeInfo.of(a).wrappedKeyLength();
    int wkEnd = TestKeys.headerOf(a).noncePrefixOffset(); // the wrapped key ends at the prefix
    byte[] swappedKey = a.clone();
    System.arraycopy(b, wkEnd - wk, swappedKey, wkEnd - wk, wk);
    assertThrows(InvalidCiphertextException.class, () -> singleUse.decrypt(swappedKey, AAD));
  }

  @Test
  void decrypt_headerAndBodyFromTwoEnvelopesOfOneDataKey_rejected() {
    // Same data key, so the same body key: only the nonce prefix tells the envelopes apart.
    byte[] a = CRYPTO.encrypt(plaintext, AAD);
    byte[] b = CRYPTO.encrypt(plaintext, AAD);
    int ha = EnvelopeInfo.of(a).headerLength();
    int np = TestKeys.headerOf(a).noncePrefixOffset();
    int npEnd = np + EnvelopeHeader.NONCE_PREFIX_LENGTH;
    assertArrayEquals(Arrays.copyOf(a, np), Arrays.copyOf(b, np), "one data key");
    assertFalse(Arrays.equals(a, np, npEnd, b, np, npEnd), "distinct nonce prefixes");
    byte[] spliced = concat(Arrays.copyOf(a, ha), Arrays.copyOfRange(b, ha, b.length));
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(spliced, AAD));
    byte[] oneSegmentSwapped = a.clone();
    System.arraycopy(b, ha + FULL, oneSegmentSwapped, ha + FULL, FULL);
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(oneSegmentSwapped, AAD));
    // The nonce prefix is authenticated by the header tag: b's prefix in a's header fails there.
    byte[] prefixSwapped = a.clone();
    System.arraycopy(b, np, prefixSwapped, np, EnvelopeHeader.NONCE_PREFIX_LENGTH);
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(prefixSwapped, AAD));
  }

  @Test
  void decryptingStream_tamperedSegment_releasesNoByteOfIt() throws IOException {
    // 100-byte reads go through the stream's own buffer; 1000-byte reads decrypt whole segments
    // straight into the caller's array, which must hold zeros after the failure.
    for (int bufferSize : new int[] {100, 1000}) {
      for (int segment = 0; segment < 3; segment++) {
        readTampered(segment, new byte[bufferSize]);
      }
    }
  }

  private void readTampered(int segment, byte[] buf) throws IOException {
    {
      byte[] t = envelope.clone();
      t[h + segment * FULL + 5] ^= 0x40;
      ByteArrayOutputStream released = new ByteArrayOutputStream();
      InputStream in = CRYPTO.decryptingStream(new ByteArrayInputStream(t), AAD);
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          released.write(buf, 0, n);
        }
        fail("tampered segment " + segment + " was not detected");
      } catch (InvalidCiphertextException expected) {
        // fall through
      }
      byte[] got = released.toByteArray();
      assertEquals(segment * SEGMENT, got.length, "bytes released before segment " + segment);
      assertArrayEquals(Arrays.copyOf(plaintext, got.length), got);
      assertThrows(InvalidCiphertextException.class, () -> in.read(buf), "failure is sticky");
      if (buf.length >= SEGMENT) {
        int segmentLength = Math.min(SEGMENT, plaintext.length - segment * SEGMENT);
        assertArrayEquals(new byte[segmentLength], Arrays.copyOf(buf, segmentLength),
            "the caller's array holds nothing of the tampered segment " + segment);
      }
    }
  }

  @Test
  void invalidCiphertext_messageIsUniform() {
    byte[] t = envelope.clone();
    t[h + 3] ^= 1;
    InvalidCiphertextException body = assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(t, AAD));
    InvalidCiphertextException aad = assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(envelope, new byte[1]));
    InvalidCiphertextException shortInput = assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(new byte[3], AAD));
    assertEquals(InvalidCiphertextException.MESSAGE, body.getMessage());
    assertEquals(body.getMessage(), aad.getMessage());
    assertEquals(body.getMessage(), shortInput.getMessage());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
