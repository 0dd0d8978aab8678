package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Per-message cryptography of suite 1: HKDF-SHA256 key derivation from (data key, salt), the
 * header commitment tag, and AES-256-GCM segments with STREAM nonces.
 *
 * <p>Keys: {@code PRK = HKDF-Extract(salt, dataKey)}; {@code K_commit = HKDF-Expand(PRK,
 * "cmk/v1/commit", 32)}; {@code K_body = HKDF-Expand(PRK, "cmk/v1/body" || u32(len(aad)) || aad,
 * 32)}. Nonce of segment i: 7 zero bytes, i as u32 big-endian, then 1 for the last segment and 0
 * otherwise. Because each message has its own key (a fresh 256-bit salt), nonces never repeat
 * under one key and a data key can serve any number of messages without approaching the SP 800-38D
 * limits.
 *
 * <p>Bulk AES-GCM always goes through the JDK's provider (the fastest on HotSpot: AES-NI, CLMUL
 * and, on newer JDKs, the combined GCM intrinsic).
 */
public final class MessageCrypto {
  public static final int TAG_LENGTH = 16;
  public static final int NONCE_LENGTH = 12;
  private static final byte[] COMMIT_INFO = "cmk/v1/commit".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BODY_INFO = "cmk/v1/body".getBytes(StandardCharsets.US_ASCII);

  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(MessageCrypto::newMac);
  private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(MessageCrypto::newGcm);

  private final SecretKeySpec bodyKey;

  private MessageCrypto(SecretKeySpec bodyKey) {
    this.bodyKey = bodyKey;
  }

  private static Mac newMac() {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static Cipher newGcm() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is not available", e);
    }
  }

  /**
   * Seals a freshly created header: computes its commitment tag, writes it, and returns the body
   * cipher.
   */
  public static MessageCrypto seal(byte[] dataKey, EnvelopeHeader header, byte[] aad) {
    byte[] prk = extract(dataKey, header.bytes(), header.saltOffset());
    try {
      header.sealWith(commitment(prk, header));
      return new MessageCrypto(bodyKey(prk, aad));
    } finally {
      Arrays.fill(prk, (byte) 0);
    }
  }

  /**
   * Verifies a parsed header's commitment tag in constant time and returns the body cipher.
   *
   * @throws InvalidCiphertextException if the tag does not verify (wrong data key or tampered
   *     header)
   */
  public static MessageCrypto open(byte[] dataKey, EnvelopeHeader header, byte[] aad) {
    byte[] prk = extract(dataKey, header.bytes(), header.saltOffset());
    try {
      verify(prk, header);
      return new MessageCrypto(bodyKey(prk, aad));
    } finally {
      Arrays.fill(prk, (byte) 0);
    }
  }

  /**
   * Verifies the tag of {@code header} under {@code dataKey}, then re-seals {@code replacement}
   * (same salt, new wrapped key) — used by re-wrap, which leaves the body untouched.
   */
  public static void verifyAndReseal(
      byte[] dataKey, EnvelopeHeader header, EnvelopeHeader replacement) {
    byte[] prk = extract(dataKey, header.bytes(), header.saltOffset());
    try {
      verify(prk, header);
      replacement.sealWith(commitment(prk, replacement));
    } finally {
      Arrays.fill(prk, (byte) 0);
    }
  }

  private static void verify(byte[] prk, EnvelopeHeader header) {
    byte[] expected = commitment(prk, header);
    byte[] actual =
        Arrays.copyOfRange(header.bytes(), header.tagOffset(), header.length());
    if (!MessageDigest.isEqual(expected, actual)) {
      throw new InvalidCiphertextException();
    }
  }

  private static byte[] extract(byte[] dataKey, byte[] saltSource, int saltOffset) {
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(saltSource, saltOffset, EnvelopeHeader.SALT_LENGTH, "HmacSHA256"));
      return mac.doFinal(dataKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 failed", e);
    }
  }

  private static byte[] expand(byte[] prk, byte[] info, byte[] aad) {
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      mac.update(info);
      if (aad != null) {
        byte[] len = new byte[4];
        Bytes.putU32(len, 0, aad.length);
        mac.update(len);
        mac.update(aad);
      }
      mac.update((byte) 1);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 failed", e);
    }
  }

  private static byte[] commitment(byte[] prk, EnvelopeHeader header) {
    byte[] kc = expand(prk, COMMIT_INFO, null);
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(kc, "HmacSHA256"));
      mac.update(header.bytes(), 0, header.authenticatedLength());
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 failed", e);
    } finally {
      Arrays.fill(kc, (byte) 0);
    }
  }

  private static SecretKeySpec bodyKey(byte[] prk, byte[] aad) {
    byte[] kb = expand(prk, BODY_INFO, aad);
    try {
      return new SecretKeySpec(kb, "AES");
    } finally {
      Arrays.fill(kb, (byte) 0);
    }
  }

  static byte[] nonce(long index, boolean last) {
    if (index < 0 || index > 0xFFFF_FFFFL) {
      throw new IllegalStateException("too many segments");
    }
    byte[] n = new byte[NONCE_LENGTH];
    Bytes.putU32(n, 7, (int) index);
    n[11] = (byte) (last ? 1 : 0);
    return n;
  }

  /**
   * Encrypts one segment. Output is {@code length + 16} bytes at {@code out[outOff]}.
   *
   * @return bytes written
   */
  public int encryptSegment(
      long index, boolean last, byte[] in, int inOff, int length, byte[] out, int outOff) {
    Cipher c = GCM.get();
    try {
      c.init(Cipher.ENCRYPT_MODE, bodyKey, new GCMParameterSpec(128, nonce(index, last)));
      return c.doFinal(in, inOff, length, out, outOff);
    } catch (ShortBufferException e) {
      throw new IllegalStateException("segment buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Decrypts and authenticates one segment ({@code length} includes the 16-byte tag). Nothing is
   * written to {@code out} unless the tag verifies.
   *
   * @return plaintext bytes written
   * @throws InvalidCiphertextException if the segment does not authenticate
   */
  public int decryptSegment(
      long index, boolean last, byte[] in, int inOff, int length, byte[] out, int outOff) {
    if (length < TAG_LENGTH) {
      throw new InvalidCiphertextException();
    }
    Cipher c = GCM.get();
    try {
      c.init(Cipher.DECRYPT_MODE, bodyKey, new GCMParameterSpec(128, nonce(index, last)));
      return c.doFinal(in, inOff, length, out, outOff);
    } catch (AEADBadTagException e) {
      throw new InvalidCiphertextException();
    } catch (ShortBufferException e) {
      throw new IllegalStateException("segment buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new InvalidCiphertextException(e);
    }
  }
}
