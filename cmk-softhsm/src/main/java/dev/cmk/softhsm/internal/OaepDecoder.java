package dev.cmk.softhsm.internal;

import dev.cmk.api.InvalidCiphertextException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * EME-OAEP decoding (RFC 8017, section 7.1.2, step 3) of the encoded message a raw RSA decryption
 * ({@code CKM_RSA_X_509}) in the token returned.
 *
 * <p><b>Security guarantees:</b> every padding failure (leading byte not zero, label hash mismatch,
 * no {@code 0x01} separator, a non-zero byte before it) ends in the same {@link
 * InvalidCiphertextException} without a cause, thrown from one place after all checks have run.
 * The checks use masks instead of branches, so the time taken does not depend on which check
 * failed or where the separator is (Manger's attack, CVE-2020-26939). Intermediate buffers are
 * wiped.
 *
 * <p><b>Thread safety:</b> stateless; the caller's {@link MessageDigest} must not be shared.
 */
public final class OaepDecoder {
  private OaepDecoder() {}

  /**
   * Decodes {@code em}.
   *
   * @param em the encoded message, exactly as long as the RSA modulus (leading zeros kept); not
   *     modified
   * @param digest the OAEP hash, also used for MGF1 (SHA-256 or SHA-1); reset on return
   * @param label the OAEP label, empty for cmk
   * @return the message, possibly empty
   * @throws InvalidCiphertextException on any padding failure
   */
  public static byte[] decode(byte[] em, MessageDigest digest, byte[] label) {
    int k = em.length;
    int hLen = digest.getDigestLength();
    if (k < 2 * hLen + 2) {
      // Depends only on public sizes.
      throw new InvalidCiphertextException();
    }
    digest.reset();
    byte[] lHash = digest.digest(label);
    byte[] seed = Arrays.copyOfRange(em, 1, 1 + hLen);
    byte[] db = Arrays.copyOfRange(em, 1 + hLen, k);
    try {
      mgf1Xor(digest, db, seed); // seed = maskedSeed XOR MGF(maskedDB)
      mgf1Xor(digest, seed, db); // DB = maskedDB XOR MGF(seed)

      int bad = em[0] & 0xff; // Y must be zero
      for (int i = 0; i < hLen; i++) {
        bad |= (db[i] ^ lHash[i]) & 0xff;
      }
      // Find the first non-zero byte after lHash'; it must be 0x01. 'looking' is all ones until
      // the separator is seen, then zero; 'index' records the separator's position.
      int looking = -1;
      int index = 0;
      for (int i = hLen; i < db.length; i++) {
        int b = db[i] & 0xff;
        int isZero = isZeroMask(b);
        int isOne = isZeroMask(b ^ 0x01);
        index |= i & looking & isOne;
        bad |= looking & ~isZero & ~isOne;
        looking &= ~isOne;
      }
      bad |= looking; // no separator at all

      if (bad != 0) {
        throw new InvalidCiphertextException();
      }
      return Arrays.copyOfRange(db, index + 1, db.length);
    } finally {
      Arrays.fill(seed, (byte) 0);
      Arrays.fill(db, (byte) 0);
      digest.reset();
    }
  }

  /** All ones if {@code b} (0..255 or a small XOR of such) is zero, else zero; no branch. */
  private static int isZeroMask(int b) {
    return (b - 1) >> 31;
  }

  /** {@code target ^= MGF1(seed, target.length)}. */
  private static void mgf1Xor(MessageDigest digest, byte[] seed, byte[] target) {
    int hLen = digest.getDigestLength();
    byte[] counter = new byte[4];
    int done = 0;
    for (int c = 0; done < target.length; c++) {
      counter[0] = (byte) (c >>> 24);
      counter[1] = (byte) (c >>> 16);
      counter[2] = (byte) (c >>> 8);
      counter[3] = (byte) c;
      digest.update(seed);
      digest.update(counter);
      byte[] block = digest.digest();
      int n = Math.min(hLen, target.length - done);
      for (int i = 0; i < n; i++) {
        target[done + i] ^= block[i];
      }
      Arrays.fill(block, (byte) 0);
      done += n;
    }
  }
}
