package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Per-message cryptography: for suite 1 (format 1) the header commitment tag and AES-256-GCM
 * segments with STREAM nonces, as below; for suite 2 (format 2, {@link #compact}) the writer
 * slot's body key, the nonce prefix {@code 00 00 || u40(m)} and the 48 header bytes as associated
 * data of every segment (see {@code docs/envelope-format.md}).
 *
 * <p>With the data key {@code DK} (32 uniformly random bytes, so usable directly as a PRF key, as
 * RFC 5869 section 3.3 allows):
 *
 * <pre>
 * tag    = HMAC-SHA256(DK, "cmk/v1/header" || header[0, H-32))
 * K_body = HMAC-SHA256(DK, "cmk/v1/body-key")
 * segment i = AES-256-GCM(K_body, nonce = N || u32(i) || last, aad = associated data)
 * </pre>
 *
 * {@code N} is the envelope's 7-byte nonce prefix, stored in the header just before the tag. The
 * encrypt side gives every envelope under one data key a different {@code N} (a counter from a
 * random start, {@link WriteDataKeys}); the data key is made by that writer and never used to
 * encrypt anywhere else, so no nonce ever repeats under {@code K_body}. The labels separate the
 * two HMAC uses. The tag authenticates every header byte (nonce prefix included) and commits to
 * the data key.
 *
 * <p>Both values derived from {@code DK} are per data key, not per envelope: {@code K_body} is
 * computed once ({@link DataKey}), so the JDK keeps its AES key schedule between envelopes, and
 * the tag starts from a cached HMAC state over the header's static part. Bulk AES-GCM always goes
 * through the JDK's provider (AES-NI, CLMUL and, on newer JDKs, the combined GCM intrinsic).
 */
public final class MessageCrypto {
  public static final int TAG_LENGTH = 16;
  public static final int NONCE_LENGTH = 12;
  private static final byte[] HEADER_LABEL = "cmk/v1/header".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BODY_KEY_LABEL =
      "cmk/v1/body-key".getBytes(StandardCharsets.US_ASCII);

  private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(MessageCrypto::newGcm);

  private final SecretKeySpec bodyKey;
  private final byte[] noncePrefix;
  private final byte[] aad;
  private final KeyVersionId version;

  private MessageCrypto(SecretKeySpec bodyKey, EnvelopeHeader header, byte[] aad) {
    this.bodyKey = bodyKey;
    int off = header.noncePrefixOffset();
    this.noncePrefix =
        Arrays.copyOfRange(header.bytes(), off, off + EnvelopeHeader.NONCE_PREFIX_LENGTH);
    this.aad = aad.clone();
    this.version = header.versionId();
  }

  /**
   * Format v2 (suite 2): the writer slot's body key, nonce prefix {@code 00 00 || u40(m)}, and
   * the 48 header bytes followed by the caller's associated data as every segment's associated
   * data (the header has a fixed length, so the split is unambiguous).
   */
  private MessageCrypto(SecretKeySpec slotKey, CompactHeader header, byte[] aad,
      KeyVersionId version) {
    this.bodyKey = slotKey;
    this.noncePrefix = new byte[EnvelopeHeader.NONCE_PREFIX_LENGTH];
    System.arraycopy(header.bytes(), CompactHeader.MESSAGE_OFFSET, noncePrefix,
        EnvelopeHeader.NONCE_PREFIX_LENGTH - CompactHeader.MESSAGE_LENGTH,
        CompactHeader.MESSAGE_LENGTH);
    byte[] all = Arrays.copyOf(header.bytes(), CompactHeader.LENGTH + aad.length);
    System.arraycopy(aad, 0, all, CompactHeader.LENGTH, aad.length);
    this.aad = all;
    this.version = version;
  }

  /**
   * The body crypto of a format v2 envelope under {@code dataKey}, whose record id the caller has
   * matched with the header's. There is no header tag to verify: the header is authenticated with
   * every segment.
   *
   * @throws IllegalStateException if the data key was destroyed meanwhile
   */
  public static MessageCrypto compact(DataKey dataKey, CompactHeader header, byte[] aad,
      KeyVersionId version) {
    return new MessageCrypto(dataKey.slotKey(header.writerSlot()), header, aad, version);
  }

  /** The key version whose data key this envelope is under (what the guard checks per segment). */
  public KeyVersionId version() {
    return version;
  }

  private static Cipher newGcm() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is not available", e);
    }
  }

  /** {@code K_body} from an HMAC keyed with the data key (consumed). */
  static SecretKeySpec deriveBodyKey(Mac keyedWithDataKey) {
    return deriveBodyKey(keyedWithDataKey, BODY_KEY_LABEL);
  }

  /** An AES-256 key: the HMAC (keyed, possibly fed already) over {@code last}, consumed. */
  static SecretKeySpec deriveBodyKey(Mac keyedWithDataKey, byte[] last) {
    byte[] kb = keyedWithDataKey.doFinal(last);
    try {
      return new SecretKeySpec(kb, "AES");
    } finally {
      Arrays.fill(kb, (byte) 0);
    }
  }

  /**
   * Seals a freshly created header: computes its commitment tag, writes it, and returns the body
   * cipher.
   *
   * @throws IllegalStateException if the data key was destroyed meanwhile
   */
  public static MessageCrypto seal(DataKey dataKey, EnvelopeHeader header, byte[] aad) {
    header.sealWith(tag(dataKey, header));
    return new MessageCrypto(dataKey.bodyKey(), header, aad);
  }

  /**
   * Verifies a parsed header's commitment tag in constant time and returns the body cipher.
   *
   * @throws InvalidCiphertextException if the tag does not verify (wrong data key or tampered
   *     header)
   * @throws IllegalStateException if the data key was destroyed meanwhile
   */
  public static MessageCrypto open(DataKey dataKey, EnvelopeHeader header, byte[] aad) {
    verify(dataKey, header);
    return new MessageCrypto(dataKey.bodyKey(), header, aad);
  }

  /**
   * Verifies the tag of {@code header} under {@code dataKey}, then seals {@code replacement}
   * (same nonce prefix, new wrapped key) — used by re-wrap, which leaves the body untouched.
   */
  public static void verifyAndReseal(
      DataKey dataKey, EnvelopeHeader header, EnvelopeHeader replacement) {
    verify(dataKey, header);
    replacement.sealWith(tag(dataKey, replacement));
  }

  private static void verify(DataKey dataKey, EnvelopeHeader header) {
    byte[] expected = tag(dataKey, header);
    byte[] b = header.bytes();
    int diff = 0;
    for (int i = 0; i < EnvelopeHeader.TAG_LENGTH; i++) {
      diff |= expected[i] ^ b[header.tagOffset() + i];
    }
    if (diff != 0) {
      throw new InvalidCiphertextException();
    }
  }

  private static byte[] tag(DataKey dataKey, EnvelopeHeader header) {
    Mac mac = dataKey.headerMac(HEADER_LABEL, header.bytes(), header.staticLength());
    mac.update(header.bytes(), header.noncePrefixOffset(), EnvelopeHeader.NONCE_PREFIX_LENGTH);
    return mac.doFinal();
  }

  private byte[] nonce(long index, boolean last) {
    if (index < 0 || index > 0xFFFF_FFFFL) {
      throw new IllegalStateException("too many segments");
    }
    byte[] n = new byte[NONCE_LENGTH];
    System.arraycopy(noncePrefix, 0, n, 0, EnvelopeHeader.NONCE_PREFIX_LENGTH);
    Bytes.putU32(n, EnvelopeHeader.NONCE_PREFIX_LENGTH, (int) index);
    n[11] = (byte) (last ? 1 : 0);
    return n;
  }

  /** A cipher of its own for a stream that encrypts a segment across several calls. */
  public static Cipher newSegmentCipher() {
    return newGcm();
  }

  /**
   * Starts encrypting segment {@code index} with {@code cipher}; the caller feeds the plaintext
   * with {@code update} and ends with {@code doFinal}, which appends the 16-byte tag.
   */
  public void startSegment(Cipher cipher, long index, boolean last) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, bodyKey, new GCMParameterSpec(128, nonce(index, last)));
      cipher.updateAAD(aad);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM initialisation failed", e);
    }
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
      c.updateAAD(aad);
      return c.doFinal(in, inOff, length, out, outOff);
    } catch (ShortBufferException e) {
      throw new IllegalStateException("segment buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Decrypts and authenticates one segment ({@code length} includes the 16-byte tag). If the tag
   * does not verify, the output range holds zeros (whatever the JDK's GCM wrote there first) and
   * nothing of the segment is released.
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
      c.updateAAD(aad);
      return c.doFinal(in, inOff, length, out, outOff);
    } catch (AEADBadTagException e) {
      Arrays.fill(out, outOff, Math.min(out.length, outOff + length - TAG_LENGTH), (byte) 0);
      throw new InvalidCiphertextException();
    } catch (ShortBufferException e) {
      throw new IllegalStateException("segment buffer too small", e);
    } catch (GeneralSecurityException e) {
      throw new InvalidCiphertextException(e);
    }
  }
}
