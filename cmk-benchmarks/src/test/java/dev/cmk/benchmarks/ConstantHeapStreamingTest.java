package dev.cmk.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import org.junit.jupiter.api.Test;

/**
 * Streams 1 GiB through cmk's encrypting and decrypting streams (default 64 KiB segments) in a
 * JVM whose heap is capped at 64 MiB (Surefire {@code argLine} of this module), with nothing stored: the decrypting stream
 * pulls the envelope from an encrypting stream on demand. Any buffering that grew with the message
 * size would end in {@link OutOfMemoryError} after a few dozen MiB; the test also checks that every
 * byte came back, in order, and that the in-memory pipe itself never held more than two segments
 * and a chunk.
 *
 * <p>One segment size only: with 1 MiB segments JDK 17 needs ~600 MiB of slow, not yet compiled
 * GCM before it reaches full speed (see {@link JitWarmUp}), which would triple the test's time
 * without testing anything else.
 */
class ConstantHeapStreamingTest {
  private static final long GIB = 1L << 30;
  private static final int CHUNK = 64 << 10;
  private static final long HEAP_CAP = 64L << 20;

  @Test
  void streamingRoundTrip_oneGibibyteUnder64MiBHeap_sameBytesBack()
      throws IOException, NoSuchAlgorithmException {
    int segmentSize = EnvelopeCrypto.DEFAULT_SEGMENT_SIZE;
    assertTrue(
        Runtime.getRuntime().maxMemory() <= HEAP_CAP,
        "the test JVM must run with -Xmx64m (see this module's pom), max heap is "
            + Runtime.getRuntime().maxMemory());
    try (EnvelopeCrypto cmk = Fixtures.envelopeCrypto(segmentSize)) {
      MessageDigest written = MessageDigest.getInstance("SHA-256");
      MessageDigest read = MessageDigest.getInstance("SHA-256");
      long count = 0;
      EnvelopeSource source = new EnvelopeSource(cmk, GIB, written);
      try (InputStream in = cmk.decryptingStream(new SequenceInputStream(source), Fixtures.AAD)) {
        byte[] buffer = new byte[CHUNK];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          read.update(buffer, 0, n);
          count += n;
        }
        assertEquals(
            EnvelopeInfo.envelopeLength(GIB, source.headerLength(), segmentSize),
            source.envelopeBytes());
        assertTrue(
            source.largestPending() <= 2L * segmentSize + CHUNK,
            "pipe buffered " + source.largestPending() + " bytes");
      }
      assertEquals(GIB, count);
      assertArrayEquals(written.digest(), read.digest());
    }
  }

  /**
   * The envelope of {@code total} generated plaintext bytes, produced on demand as the pieces of a
   * {@link SequenceInputStream}: the first piece is the header; each later one is what cmk's
   * encrypting stream wrote to its sink, one small reusable buffer, for the next chunk of plaintext
   * (the sequence asks for a piece only once the reader has consumed the one before, so the buffer
   * is never overwritten while still being read). Each chunk is a fixed pseudo-random block stamped
   * with its index, so lost, repeated or reordered chunks change the digest.
   */
  private static final class EnvelopeSource implements Enumeration<InputStream> {
    private final PendingBuffer pending = new PendingBuffer();
    private final OutputStream encryptor;
    private final MessageDigest digest;
    private final byte[] chunk = Fixtures.plaintext(CHUNK);
    private final long total;
    private final int headerLength;
    private long produced;
    private long envelopeBytes;
    private long largestPending;
    private boolean headerServed;
    private boolean finished;

    EnvelopeSource(EnvelopeCrypto cmk, long total, MessageDigest digest) throws IOException {
      this.total = total;
      this.digest = digest;
      this.encryptor = cmk.encryptingStream(pending, Fixtures.AAD);
      this.headerLength = pending.size();
    }

    @Override
    public boolean hasMoreElements() {
      return !finished;
    }

    @Override
    public InputStream nextElement() {
      if (headerServed) {
        pending.reset();
        try {
          produce();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      headerServed = true;
      return new ByteArrayInputStream(pending.array(), 0, pending.size());
    }

    private void produce() throws IOException {
      if (produced < total) {
        long index = produced / CHUNK;
        for (int k = 0; k < 8; k++) {
          chunk[k] = (byte) (index >>> (8 * k));
        }
        int n = (int) Math.min(CHUNK, total - produced);
        digest.update(chunk, 0, n);
        encryptor.write(chunk, 0, n);
        produced += n;
      } else {
        encryptor.close();
        finished = true;
      }
      envelopeBytes += pending.size();
      largestPending = Math.max(largestPending, pending.size());
    }

    int headerLength() {
      return headerLength;
    }

    /** Envelope bytes produced, header included. */
    long envelopeBytes() {
      return envelopeBytes + headerLength;
    }

    long largestPending() {
      return largestPending;
    }
  }

  /** A {@link ByteArrayOutputStream} whose bytes can be read in place. */
  private static final class PendingBuffer extends ByteArrayOutputStream {
    PendingBuffer() {
      super(2 << 20);
    }

    byte[] array() {
      return buf;
    }
  }
}
