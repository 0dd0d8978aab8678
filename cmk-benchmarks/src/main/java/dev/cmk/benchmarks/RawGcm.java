package dev.cmk.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The baseline (the ceiling of the {@code peers} benchmarks): what a careful application writes
 * with the JDK's {@code AES/GCM/NoPadding} and one AES-256 key, with no envelope, no key wrapping
 * and no key derivation.
 *
 * <ul>
 *   <li>One-shot messages are {@code nonce(12) || ciphertext || tag(16)}: a fresh random nonce from
 *       {@link SecureRandom} per message, {@code Cipher.init} per message, the associated data
 *       authenticated with {@code updateAAD}, output into a new array of the exact size.
 *   <li>Segmented messages are {@code prefix(7) || segments}, each segment AES-GCM of up to {@code
 *       segmentSize} plaintext bytes under the nonce {@code prefix || u32(index) || lastFlag} (a
 *       fresh random prefix per message, the same nonce shape as cmk's segments), with {@code
 *       Cipher.init} per segment. Encryption reads segments straight from the caller's array and
 *       writes each sealed segment to the sink; decryption reads each sealed segment from the
 *       source into a buffer and decrypts it into a plaintext buffer handed to the consumer — the
 *       I/O any stream interface needs, and nothing more.
 * </ul>
 *
 * <p>The key object stays the same for every message, so the JDK keeps its AES key schedule
 * between {@code init} calls, as it does for cmk's body key, which is one per data key.
 *
 * <p>Not thread-safe: one instance per benchmark thread.
 */
public final class RawGcm {
  static final int NONCE_LENGTH = 12;
  static final int PREFIX_LENGTH = 7;
  static final int TAG_LENGTH = 16;
  static final int TAG_BITS = 128;

  private final SecretKey key;
  private final Cipher cipher;
  private final SecureRandom random;

  /**
   * Makes a fresh random AES-256 key.
   *
   * @param random the source of the key and of every nonce
   */
  public RawGcm(SecureRandom random) throws GeneralSecurityException {
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    this.key = new SecretKeySpec(raw, "AES");
    Arrays.fill(raw, (byte) 0);
    this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    this.random = random;
  }

  /** Encrypts one message: {@code nonce || ciphertext || tag}. */
  public byte[] seal(byte[] plaintext, byte[] aad) throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    byte[] out = new byte[NONCE_LENGTH + plaintext.length + TAG_LENGTH];
    System.arraycopy(nonce, 0, out, 0, NONCE_LENGTH);
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
    cipher.doFinal(plaintext, 0, plaintext.length, out, NONCE_LENGTH);
    return out;
  }

  /**
   * Decrypts one message made by {@link #seal}.
   *
   * @throws AEADBadTagException if it does not authenticate
   */
  public byte[] open(byte[] message, byte[] aad) throws GeneralSecurityException {
    if (message.length < NONCE_LENGTH + TAG_LENGTH) {
      throw new AEADBadTagException("message too short");
    }
    cipher.init(
        Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, message, 0, NONCE_LENGTH));
    cipher.updateAAD(aad);
    byte[] out = new byte[message.length - NONCE_LENGTH - TAG_LENGTH];
    cipher.doFinal(message, NONCE_LENGTH, message.length - NONCE_LENGTH, out, 0);
    return out;
  }

  /** Encrypts {@code plaintext} segment by segment into {@code sink}, then closes it. */
  public void sealSegments(byte[] plaintext, int segmentSize, OutputStream sink)
      throws GeneralSecurityException, IOException {
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    Arrays.fill(nonce, PREFIX_LENGTH, NONCE_LENGTH, (byte) 0);
    sink.write(nonce, 0, PREFIX_LENGTH);
    byte[] sealed = new byte[segmentSize + TAG_LENGTH];
    int index = 0;
    int off = 0;
    do {
      int n = Math.min(segmentSize, plaintext.length - off);
      boolean last = off + n == plaintext.length;
      setCounter(nonce, index++, last);
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      int written = cipher.doFinal(plaintext, off, n, sealed, 0);
      sink.write(sealed, 0, written);
      off += n;
    } while (off < plaintext.length);
    sink.close();
  }

  /**
   * Decrypts a message made by {@link #sealSegments} from {@code source}, handing each
   * authenticated segment's plaintext to {@code consumer}.
   *
   * @return plaintext bytes
   * @throws AEADBadTagException if a segment does not authenticate or the message is truncated
   */
  public long openSegments(InputStream source, int segmentSize, SegmentConsumer consumer)
      throws GeneralSecurityException, IOException {
    byte[] nonce = new byte[NONCE_LENGTH];
    if (source.readNBytes(nonce, 0, PREFIX_LENGTH) != PREFIX_LENGTH) {
      throw new AEADBadTagException("message too short");
    }
    // One byte of look-ahead tells the last segment from the others, as in cmk.
    byte[] sealed = new byte[segmentSize + TAG_LENGTH + 1];
    byte[] plain = new byte[segmentSize];
    int carried = 0;
    int index = 0;
    long total = 0;
    while (true) {
      int have = carried + source.readNBytes(sealed, carried, sealed.length - carried);
      boolean last = have < sealed.length;
      int length = last ? have : sealed.length - 1;
      if (length < TAG_LENGTH) {
        throw new AEADBadTagException("truncated");
      }
      setCounter(nonce, index++, last);
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      int n = cipher.doFinal(sealed, 0, length, plain, 0);
      consumer.accept(plain, n);
      total += n;
      if (last) {
        return total;
      }
      sealed[0] = sealed[sealed.length - 1];
      carried = 1;
    }
  }

  private static void setCounter(byte[] nonce, int index, boolean last) {
    nonce[PREFIX_LENGTH] = (byte) (index >>> 24);
    nonce[PREFIX_LENGTH + 1] = (byte) (index >>> 16);
    nonce[PREFIX_LENGTH + 2] = (byte) (index >>> 8);
    nonce[PREFIX_LENGTH + 3] = (byte) index;
    nonce[PREFIX_LENGTH + 4] = (byte) (last ? 1 : 0);
  }

  /** Receives each authenticated segment's plaintext ({@code length} bytes at offset 0). */
  @FunctionalInterface
  public interface SegmentConsumer {
    /** Takes {@code length} bytes of plaintext at offset 0 (the array is reused). */
    void accept(byte[] plaintext, int length);
  }
}
