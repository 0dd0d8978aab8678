package dev.cmk.benchmarks.peers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ceiling: JDK {@code AES/GCM/NoPadding} under one AES-256 key, with no envelope, no key
 * wrapping and no key derivation.
 *
 * <ul>
 *   <li>One-shot: {@code nonce(12) || ciphertext || tag(16)}, a random nonce and {@code init} per
 *       message.
 *   <li>Segmented (streaming): a random 7-byte prefix, then segments of up to {@code segmentSize}
 *       plaintext bytes, each AES-GCM under {@code prefix || u32 index || last flag}; the reader
 *       uses one byte of look-ahead to spot the last segment — the least a stream format that
 *       resists truncation and reordering does.
 * </ul>
 *
 * <p>Not thread-safe: one instance per thread.
 */
final class JdkGcm {
  private static final int NONCE = 12;
  private static final int PREFIX = 7;
  private static final int TAG = 16;

  private final SecretKey key;
  private final Cipher cipher;
  private final SecureRandom random = new SecureRandom();

  JdkGcm() throws GeneralSecurityException {
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    key = new SecretKeySpec(raw, "AES");
    cipher = Cipher.getInstance("AES/GCM/NoPadding");
  }

  byte[] seal(byte[] plaintext, byte[] aad) throws GeneralSecurityException {
    byte[] out = new byte[NONCE + plaintext.length + TAG];
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 0, NONCE);
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    cipher.updateAAD(aad);
    cipher.doFinal(plaintext, 0, plaintext.length, out, NONCE);
    return out;
  }

  byte[] open(byte[] message, byte[] aad) throws GeneralSecurityException {
    if (message.length < NONCE + TAG) {
      throw new AEADBadTagException("too short");
    }
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, message, 0, NONCE));
    cipher.updateAAD(aad);
    byte[] out = new byte[message.length - NONCE - TAG];
    cipher.doFinal(message, NONCE, message.length - NONCE, out, 0);
    return out;
  }

  /** Encrypts {@code plaintext} segment by segment into {@code sink}. */
  void sealSegments(byte[] plaintext, int segmentSize, OutputStream sink)
      throws GeneralSecurityException, IOException {
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    sink.write(nonce, 0, PREFIX);
    byte[] sealed = new byte[segmentSize + TAG];
    int index = 0;
    int off = 0;
    do {
      int n = Math.min(segmentSize, plaintext.length - off);
      setCounter(nonce, index++, off + n == plaintext.length);
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      sink.write(sealed, 0, cipher.doFinal(plaintext, off, n, sealed, 0));
      off += n;
    } while (off < plaintext.length);
  }

  /**
   * Decrypts what {@link #sealSegments} wrote, handing each segment's plaintext to {@code sink}.
   *
   * @return plaintext bytes
   */
  long openSegments(InputStream source, int segmentSize, OutputStream sink)
      throws GeneralSecurityException, IOException {
    byte[] nonce = new byte[NONCE];
    if (source.readNBytes(nonce, 0, PREFIX) != PREFIX) {
      throw new AEADBadTagException("too short");
    }
    byte[] sealed = new byte[segmentSize + TAG + 1];
    byte[] plain = new byte[segmentSize];
    int carried = 0;
    int index = 0;
    long total = 0;
    while (true) {
      int have = carried + source.readNBytes(sealed, carried, sealed.length - carried);
      boolean last = have < sealed.length;
      int length = last ? have : sealed.length - 1;
      if (length < TAG) {
        throw new AEADBadTagException("truncated");
      }
      setCounter(nonce, index++, last);
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      int n = cipher.doFinal(sealed, 0, length, plain, 0);
      sink.write(plain, 0, n);
      total += n;
      if (last) {
        return total;
      }
      sealed[0] = sealed[sealed.length - 1];
      carried = 1;
    }
  }

  private static void setCounter(byte[] nonce, int index, boolean last) {
    nonce[PREFIX] = (byte) (index >>> 24);
    nonce[PREFIX + 1] = (byte) (index >>> 16);
    nonce[PREFIX + 2] = (byte) (index >>> 8);
    nonce[PREFIX + 3] = (byte) index;
    nonce[PREFIX + 4] = (byte) (last ? 1 : 0);
  }
}
