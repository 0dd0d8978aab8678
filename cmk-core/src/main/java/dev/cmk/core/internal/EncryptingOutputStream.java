package dev.cmk.core.internal;

import dev.cmk.core.EnvelopeOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongConsumer;
import javax.crypto.Cipher;

/**
 * Writes an envelope: the header at construction, then one AES-GCM segment per {@code S}
 * plaintext bytes, encrypting each write as it arrives, straight from the caller's array into the
 * segment's ciphertext buffer, so the plaintext is never copied or kept.
 *
 * <p>Segments are encrypted as "not last" (the STREAM last flag is part of the nonce and must be
 * fixed before the first byte). A segment that fills up is written to the sink only once more
 * data arrives, which proves it was not the last. At {@link #close()} the final segment — the one
 * held back, or the partial one in progress — is finished as "not last", decrypted again
 * (authenticated, in memory) and re-encrypted as "last"; only that version is ever written. Its
 * "not last" encryption never leaves this object, so no nonce protects two different outputs.
 * This costs one extra pass over the final segment per stream.
 *
 * <p>Every write first asks the loss-of-access guard ({@link KeyAccess#checkWritable()}), so an
 * upload that outlives the customer's revocation is refused from the first write after the guard
 * noticed (within the probe interval), and the stream is failed: a later {@code close()} cannot
 * turn what was written so far into a valid, truncated envelope. {@code close()} itself admits no
 * new plaintext (it re-seals the final segment) and does not ask. Each segment's plaintext bytes
 * are counted toward the data key's byte limit, so the next message gets a new data key once a
 * stream has used it up (a stream in progress is not cut).
 *
 * <p>Memory is constant whatever the size: one segment of ciphertext, plus the final segment's
 * plaintext during {@code close}. Not thread-safe (like any {@link OutputStream}). After an
 * exception the stream is failed: further writes throw and close does not seal a last segment, so
 * the partial envelope can never pass for a complete one.
 */
public final class EncryptingOutputStream extends EnvelopeOutputStream {
  private final OutputStream sink;
  private final MessageCrypto crypto;
  private final int segmentSize;
  private final Cipher cipher;
  private final KeyAccess access;
  private final LongConsumer usage;
  private final byte[] sealed; // S + 16: ciphertext (and tag) of the current segment
  private int consumed; // plaintext bytes of the current segment given to the cipher
  private int produced; // ciphertext bytes of the current segment in sealed
  private boolean inSegment; // cipher started on segment `index`, not finished
  private boolean heldBack; // sealed holds segment `index`, complete, not yet written
  private long index;
  private boolean closed;
  private boolean failed;
  private boolean aborted;

  public EncryptingOutputStream(
      OutputStream sink,
      Header header,
      MessageCrypto crypto,
      KeyAccess access,
      LongConsumer usage)
      throws IOException {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.crypto = crypto;
    this.access = Objects.requireNonNull(access, "access");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.segmentSize = header.segmentSize();
    this.cipher = MessageCrypto.newSegmentCipher();
    this.sealed = new byte[segmentSize + MessageCrypto.TAG_LENGTH];
    sink.write(header.bytes());
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    try {
      access.checkWritable();
      while (len > 0) {
        if (heldBack) {
          // More data: the held-back segment was not the last.
          sink.write(sealed, 0, sealed.length);
          heldBack = false;
          index++;
        }
        if (!inSegment) {
          crypto.startSegment(cipher, index, false);
          inSegment = true;
          consumed = 0;
          produced = 0;
        }
        int n = Math.min(len, segmentSize - consumed);
        produced += cipher.update(b, off, n, sealed, produced);
        consumed += n;
        off += n;
        len -= n;
        if (consumed == segmentSize) {
          usage.accept(segmentSize);
          produced += cipher.doFinal(sealed, produced);
          inSegment = false;
          heldBack = true;
        }
      }
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    } catch (GeneralSecurityException e) {
      failed = true;
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  private void ensureOpen() throws IOException {
    if (aborted) {
      throw new IOException("stream aborted; the envelope is incomplete");
    }
    if (closed) {
      throw new IOException("stream closed");
    }
    if (failed) {
      throw new IOException("stream failed earlier; the envelope is incomplete");
    }
  }

  @Override
  public void flush() throws IOException {
    if (aborted) {
      return; // the sink belongs to the caller again
    }
    sink.flush();
  }

  @Override
  public void abort() {
    if (!closed) {
      aborted = true;
      failed = true;
      closed = true; // close() will neither seal nor touch the sink
    }
  }

  /** Seals the last segment and closes the sink. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (!failed) {
        sealLast();
      }
    } catch (IOException | RuntimeException e) {
      failed = true;
      throw e;
    } finally {
      sink.close();
    }
  }

  private void sealLast() throws IOException {
    if (inSegment) {
      usage.accept(consumed);
      try {
        produced += cipher.doFinal(sealed, produced);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM encryption failed", e);
      }
      inSegment = false;
      heldBack = true;
    }
    if (!heldBack) {
      // Nothing was written: an empty plaintext is one empty last segment.
      int n = crypto.encryptSegment(index, true, sealed, 0, 0, sealed, 0);
      sink.write(sealed, 0, n);
      return;
    }
    // Re-seal the final segment as the last one. Its "not last" form is decrypted (and thereby
    // checked) in memory and never written.
    byte[] plain = new byte[consumed];
    try {
      crypto.decryptSegment(index, false, sealed, 0, produced, plain, 0);
      int n = crypto.encryptSegment(index, true, plain, 0, plain.length, sealed, 0);
      sink.write(sealed, 0, n);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }
}
