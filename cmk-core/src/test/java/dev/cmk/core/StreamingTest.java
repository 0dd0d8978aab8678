package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.testkit.FailingInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Large streams in constant memory, failure semantics of the streams. */
class StreamingTest {
  private static final byte[] AAD = {7};

  @Test
  void stream_64MiB_roundTripsThroughAFile() throws Exception {
    EnvelopeCrypto crypto = TestKeys.crypto(EnvelopeCrypto.DEFAULT_SEGMENT_SIZE);
    Path file = Files.createTempFile("cmk-stream", ".cmk");
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    Random random = new Random(1);
    byte[] chunk = new byte[100_003];
    long total = 64L << 20;
    try {
      try (OutputStream out = crypto.encryptingStream(Files.newOutputStream(file), AAD)) {
        for (long done = 0; done < total; ) {
          int n = (int) Math.min(chunk.length, total - done);
          random.nextBytes(chunk);
          out.write(chunk, 0, n);
          written.update(chunk, 0, n);
          done += n;
        }
      }
      MessageDigest read = MessageDigest.getInstance("SHA-256");
      long count = 0;
      try (InputStream in = crypto.decryptingStream(Files.newInputStream(file), AAD)) {
        byte[] buf = new byte[65_537];
        int n;
        while ((n = in.read(buf)) >= 0) {
          read.update(buf, 0, n);
          count += n;
        }
      }
      assertEquals(total, count);
      assertArrayEquals(written.digest(), read.digest());
      try (RangeReader reader =
          crypto.rangeReader(Files.newByteChannel(file, StandardOpenOption.READ), AAD)) {
        assertEquals(total, reader.plaintextLength());
        assertEquals(100, reader.read(total - 100, 100).length);
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void encryptingStream_sinkFailsMidway_streamStaysFailedAndEnvelopeDoesNotDecrypt()
      throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    int[] writes = {0};
    OutputStream flaky =
        new FilterOutputStream(stored) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            if (++writes[0] == 3) {
              throw new IOException("disk full");
            }
            out.write(b, off, len);
          }
        };
    OutputStream out = crypto.encryptingStream(flaky, AAD);
    assertThrows(IOException.class, () -> out.write(new byte[2000]));
    assertThrows(IOException.class, () -> out.write(new byte[1]));
    out.close();
    byte[] partial = stored.toByteArray();
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(partial, AAD));
  }

  @Test
  void encryptingStream_notClosed_envelopeDoesNotDecrypt() throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    OutputStream out = crypto.encryptingStream(stored, AAD);
    out.write(new byte[1000]);
    out.flush();
    byte[] partial = stored.toByteArray();
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(partial, AAD));
    InputStream in = crypto.decryptingStream(new ByteArrayInputStream(partial), AAD);
    assertThrows(InvalidCiphertextException.class, in::readAllBytes);
  }

  @Test
  void decryptingStream_singleByteReads_matchBulkReads() throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    byte[] plaintext = new byte[777];
    new Random(3).nextBytes(plaintext);
    byte[] envelope = crypto.encrypt(plaintext, AAD);
    InputStream in = crypto.decryptingStream(new ByteArrayInputStream(envelope), AAD);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      got.write(b);
    }
    assertArrayEquals(plaintext, got.toByteArray());
  }

  @Test
  void encryptingStream_singleByteWritesAcrossSegments_decryptToTheSameBytes() throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    byte[] plaintext = new byte[3 * 256 + 17];
    new Random(5).nextBytes(plaintext);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    try (OutputStream out = crypto.encryptingStream(stored, AAD)) {
      for (byte b : plaintext) {
        out.write(b);
      }
    }
    assertArrayEquals(plaintext, crypto.decrypt(stored.toByteArray(), AAD));
  }

  @Test
  void encryptingStream_exactMultipleOfSegmentSize_lastFullSegmentIsResealedAsLast()
      throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    byte[] plaintext = new byte[2 * 256];
    new Random(6).nextBytes(plaintext);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    try (OutputStream out = crypto.encryptingStream(stored, AAD)) {
      out.write(plaintext, 0, 256);
      out.write(plaintext, 256, 256);
    }
    byte[] envelope = stored.toByteArray();
    int h = EnvelopeInfo.of(envelope).headerLength();
    assertEquals(h + 2 * (256 + 16), envelope.length, "two segments, no empty third one");
    assertArrayEquals(plaintext, crypto.decrypt(envelope, AAD));
    // Cut after the first segment: that segment was sealed as "not last", so it is rejected.
    byte[] cut = java.util.Arrays.copyOf(envelope, h + 256 + 16);
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(cut, AAD));
  }

  @Test
  void encryptingStream_afterClose_writesThrowAndCloseIsIdempotent() throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    int[] closes = {0};
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    OutputStream counting =
        new FilterOutputStream(stored) {
          @Override
          public void close() throws IOException {
            closes[0]++;
            super.close();
          }
        };
    OutputStream out = crypto.encryptingStream(counting, AAD);
    out.write(new byte[10]);
    out.close();
    out.close();
    assertEquals(1, closes[0], "the sink is closed once");
    assertThrows(IOException.class, () -> out.write(1));
    assertArrayEquals(new byte[10], crypto.decrypt(stored.toByteArray(), AAD));
  }

  @Test
  void encryptingStream_sinkFailsOnTheLastSegment_closeThrowsAndEnvelopeDoesNotDecrypt()
      throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    boolean[] closing = {false};
    OutputStream failsAtEnd =
        new FilterOutputStream(stored) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            if (closing[0]) {
              throw new IOException("disk full");
            }
            out.write(b, off, len);
          }
        };
    OutputStream out = crypto.encryptingStream(failsAtEnd, AAD);
    out.write(new byte[600]);
    closing[0] = true;
    assertThrows(IOException.class, out::close);
    byte[] partial = stored.toByteArray();
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(partial, AAD));
  }

  @Test
  void encryptingStream_flush_reachesTheSink() throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    int[] flushes = {0};
    OutputStream counting =
        new FilterOutputStream(new ByteArrayOutputStream()) {
          @Override
          public void flush() throws IOException {
            flushes[0]++;
            super.flush();
          }
        };
    try (OutputStream out = crypto.encryptingStream(counting, AAD)) {
      out.write(new byte[10]);
      out.flush();
      assertEquals(1, flushes[0]);
    }
  }

  @Test
  void encryptingStream_sourceFailsHalfWay_abortNeverSealsAndLeavesTheSinkToTheCaller()
      throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    byte[] plaintext = new byte[5_000];
    new Random(3).nextBytes(plaintext);
    int[] closes = {0};
    int[] flushes = {0};
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    OutputStream sink =
        new FilterOutputStream(stored) {
          @Override
          public void flush() throws IOException {
            flushes[0]++;
          }

          @Override
          public void close() {
            closes[0]++;
          }
        };
    InputStream failingSource =
        FailingInputStream.failingAt(plaintext, 2_000, "source connection reset");
    // What an application writes: abort when the source fails, then try-with-resources closes.
    IOException e = assertThrows(IOException.class, () -> {
      try (EnvelopeOutputStream out = crypto.encryptingStream(sink, AAD)) {
        try {
          failingSource.transferTo(out);
        } catch (IOException sourceFailed) {
          out.abort();
          throw sourceFailed;
        }
      }
    });
    assertEquals("source connection reset", e.getMessage());
    assertEquals(0, closes[0], "the sink is the caller's to dispose of");
    assertEquals(0, flushes[0]);
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(stored.toByteArray(), AAD),
        "the 2,000 bytes read before the failure never became a valid, shorter envelope");
  }

  @Test
  void encryptingStream_closedWithoutAbort_sealsWhatWasWritten() throws IOException {
    // The contrast that makes abort() necessary: close() seals whatever was written.
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    try (EnvelopeOutputStream out = crypto.encryptingStream(stored, AAD)) {
      out.write(new byte[2_000]);
    }
    assertArrayEquals(new byte[2_000], crypto.decrypt(stored.toByteArray(), AAD));
  }

  @Test
  void encryptingStream_afterAbort_writesThrow_closeAndAbortDoNothing() throws IOException {
    EnvelopeCrypto crypto = TestKeys.crypto(256);
    ByteArrayOutputStream stored = new ByteArrayOutputStream();
    EnvelopeOutputStream out = crypto.encryptingStream(stored, AAD);
    out.write(new byte[600]);
    int before = stored.size();
    out.abort();
    out.abort();
    assertThrows(IOException.class, () -> out.write(1));
    out.flush();
    out.close();
    assertEquals(before, stored.size(), "nothing reaches the sink after abort");
    EnvelopeOutputStream sealed = crypto.encryptingStream(new ByteArrayOutputStream(), AAD);
    sealed.close();
    sealed.abort(); // no effect after close
  }
}
