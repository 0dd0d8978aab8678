package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.FailingInputStream;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams and range readers hold their data key for as long as they are open, so the customer's
 * revocation must reach them the way it reaches new requests: within the guard's probe interval,
 * before the next segment, and without losing the stream's place.
 */
class OpenStreamsUnderRevocationTest {
  private static final byte[] AAD = "Instance/1.2.3".getBytes(StandardCharsets.UTF_8);
  private static final int SEGMENT = 256;

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
  private final KeyReference v1 = provider.manager().createKey("open-streams", 2048);
  private final EnvelopeCrypto crypto = EnvelopeCrypto.builder()
      .provider(faults)
      .writeKey(v1.versionless())
      .clock(clock)
      .sleeper(clock::advance)
      .segmentSize(SEGMENT)
      .build();
  private final byte[] plaintext = bytes(10 * SEGMENT + 17, 1);

  @TempDir Path dir;

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Disables the key and moves past the probe interval, so the next guarded call probes. */
  private void revoke() {
    provider.manager().setEnabled(v1, false);
    clock.advance(KeyAccessSettings.DEFAULT.probeInterval().plusSeconds(1));
  }

  /** Re-enables the key; the guard, still inside its grace window, reopens on its next probe. */
  private void restore() {
    provider.manager().setEnabled(v1, true);
    clock.advance(Duration.ofMinutes(2));
  }

  @Test
  void rangeReader_openBeforeRevocation_refusesAfterIt_andServesAgainAfterRestore() throws IOException {
    Path file = dir.resolve("instance.cmk");
    Files.write(file, crypto.encrypt(plaintext, AAD));
    try (RangeReader reader = crypto.rangeReader(Files.newByteChannel(file), AAD)) {
      assertArrayEquals(Arrays.copyOfRange(plaintext, 300, 400), reader.read(300, 100));

      revoke();
      assertThrows(KeyAccessSuspendedException.class, () -> reader.read(300, 100));
      InputStream range = reader.stream(0, plaintext.length);
      assertThrows(KeyAccessSuspendedException.class, range::read);

      restore();
      assertArrayEquals(Arrays.copyOfRange(plaintext, 300, 400), reader.read(300, 100));
      assertArrayEquals(plaintext, range.readAllBytes(), "the refused stream lost nothing");
    }
  }

  @Test
  void decryptingStream_openBeforeRevocation_refusesTheNextSegment_thenContinuesWhereItWas()
      throws IOException {
    byte[] envelope = crypto.encrypt(plaintext, AAD);
    try (InputStream in = crypto.decryptingStream(new ByteArrayInputStream(envelope), AAD)) {
      byte[] first = in.readNBytes(SEGMENT);
      assertArrayEquals(Arrays.copyOf(plaintext, SEGMENT), first);

      revoke();
      assertThrows(KeyAccessSuspendedException.class, () -> in.read(new byte[SEGMENT]));

      restore();
      byte[] rest = in.readAllBytes();
      assertArrayEquals(Arrays.copyOfRange(plaintext, SEGMENT, plaintext.length), rest);
    }
  }

  @Test
  void encryptingStream_openBeforeRevocation_refusesTheNextWrite_andCanNeverBeSealed()
      throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    OutputStream out = crypto.encryptingStream(sink, AAD);
    out.write(plaintext, 0, 100); // inside the first segment: a refused write must not reach it

    revoke();
    assertThrows(KeyAccessSuspendedException.class, () -> out.write(plaintext, 100, 50));
    assertThrows(IOException.class, () -> out.write(1), "the stream stays failed");
    out.close(); // what try-with-resources does after the exception

    restore();
    byte[] partial = sink.toByteArray();
    assertThrows(InvalidCiphertextException.class, () -> crypto.decrypt(partial, AAD),
        "the 100 bytes written before the refusal do not become a valid, truncated envelope");
  }

  @Test
  void encryptingStream_closedAfterRevocation_sealsOnlyWhatWasAdmittedBefore() throws IOException {
    // close() admits no new plaintext: it re-seals the final segment of bytes written (and
    // checked) before the revocation, like a one-shot encrypt that finished just before it.
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    OutputStream out = crypto.encryptingStream(sink, AAD);
    out.write(plaintext, 0, 3 * SEGMENT + 5);
    revoke();
    out.close();
    restore();
    assertArrayEquals(Arrays.copyOf(plaintext, 3 * SEGMENT + 5), crypto.decrypt(sink.toByteArray(), AAD));
  }

  @Test
  void transientOutage_doesNotInterruptOpenStreams() throws IOException {
    // Only an authoritative loss (or a persistent outage) trips the guard; a blip does not.
    byte[] envelope = crypto.encrypt(plaintext, AAD);
    try (InputStream in = crypto.decryptingStream(new ByteArrayInputStream(envelope), AAD)) {
      in.readNBytes(SEGMENT);
      faults.failNext(dev.cmk.testkit.Operation.DESCRIBE, 1,
          dev.cmk.testkit.Fault.transientFailure());
      clock.advance(KeyAccessSettings.DEFAULT.probeInterval().plusSeconds(1));
      assertArrayEquals(Arrays.copyOfRange(plaintext, SEGMENT, plaintext.length), in.readAllBytes());
    }
  }

  @Test
  void streamedBytes_countTowardTheDataKeyByteLimit() throws IOException {
    EnvelopeCrypto limited = EnvelopeCrypto.builder()
        .provider(faults)
        .writeKey(v1.versionless())
        .clock(clock)
        .segmentSize(SEGMENT)
        .dataKeyLimits(new DataKeyLimits(1_000_000, 1_000, Duration.ofHours(1)))
        .build();
    byte[] big = bytes(5_000, 2);
    for (int i = 0; i < 3; i++) {
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      try (OutputStream out = limited.encryptingStream(sink, AAD)) {
        out.write(big);
      }
      assertArrayEquals(big, limited.decrypt(sink.toByteArray(), AAD));
    }
    assertEquals(3, limited.diagnostics().dataKeysCreated(),
        "each 5,000-byte stream used up the 1,000-byte budget: the next message got a new key");
  }

  @Test
  void rangeStream_afterClose_throwsInsteadOfReturningWipedBytes() throws IOException {
    Path file = dir.resolve("closed.cmk");
    Files.write(file, crypto.encrypt(plaintext, AAD));
    try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ);
        RangeReader reader = crypto.rangeReader(channel, AAD)) {
      InputStream range = reader.stream(0, plaintext.length);
      assertEquals(plaintext[0] & 0xff, range.read());
      range.close();
      assertThrows(IOException.class, () -> range.read(new byte[10]));
      InputStream empty = reader.stream(plaintext.length, 0);
      assertEquals(0, empty.read(new byte[4], 0, 0), "a zero-length read returns 0, even at the end");
      assertEquals(-1, empty.read());
    }
  }

  @Test
  void rangeReader_thatCannotOpen_closesTheChannel() throws IOException {
    Path file = dir.resolve("tampered.cmk");
    byte[] envelope = crypto.encrypt(plaintext, AAD);
    envelope[envelope.length - 1] ^= 1;
    Files.write(file, envelope);
    SeekableByteChannel channel = Files.newByteChannel(file);
    assertThrows(InvalidCiphertextException.class, () -> crypto.rangeReader(channel, AAD));
    assertFalse(channel.isOpen(), "the channel the reader would have owned is closed");
  }

  @Test
  void decryptingStream_sourceFailsMidSegment_retryContinuesWithoutFalseTamperAlarm()
      throws IOException {
    byte[] envelope = crypto.encrypt(plaintext, AAD);
    int failAt = EnvelopeInfo.of(envelope).headerLength() + SEGMENT + 100;
    InputStream flaky = FailingInputStream.failingOnceAt(envelope, failAt, "connection reset");
    try (InputStream in = crypto.decryptingStream(flaky, AAD)) {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buffer = new byte[64];
      IOException failure = null;
      while (true) {
        int n;
        try {
          n = in.read(buffer);
        } catch (IOException e) {
          failure = e;
          continue; // the caller retries
        }
        if (n < 0) {
          break;
        }
        got.write(buffer, 0, n);
      }
      assertEquals("connection reset", failure == null ? null : failure.getMessage());
      assertArrayEquals(plaintext, got.toByteArray());
    } catch (CmkException e) {
      throw new AssertionError("a source I/O error must not turn into " + e, e);
    }
  }
}
