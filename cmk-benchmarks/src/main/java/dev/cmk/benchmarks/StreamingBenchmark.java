package dev.cmk.benchmarks;

import dev.cmk.core.EnvelopeCrypto;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Streaming a 64 MiB message, all in memory (no disk): cmk's {@link
 * EnvelopeCrypto#encryptingStream} and {@link EnvelopeCrypto#decryptingStream} against raw JDK
 * AES-GCM over segments of the same size ({@link RawGcm#sealSegments}/{@link
 * RawGcm#openSegments}), re-initialised per segment.
 *
 * <p>Encryption: the application writes the plaintext in {@value #WRITE_CHUNK}-byte chunks (a
 * typical I/O buffer) to cmk's stream, which writes to a sink that drops the bytes; the baseline
 * encrypts segments straight from the plaintext array into the same kind of sink. Decryption: both
 * read the message from a {@link ByteArrayInputStream}; the application reads cmk's stream in
 * {@value #WRITE_CHUNK}-byte chunks, the baseline hands its plaintext buffer to the consumer
 * directly. One operation is one whole 64 MiB message (throughput × 64 MiB = bytes per second).
 */
public class StreamingBenchmark extends SuiteRun {
  /** Plaintext bytes per message: 64 MiB. */
  public static final int MESSAGE_SIZE = 64 << 20;

  /** Bytes per {@code write}/{@code read} call of the application: 64 KiB. */
  public static final int WRITE_CHUNK = 64 << 10;

  /** Plaintext bytes per segment, for cmk and the baseline alike: 64 KiB (default) and 1 MiB. */
  @Param({"65536", "1048576"})
  public int segmentSize;

  /** Which side runs: {@code cmk} or the {@code gcm} baseline (see {@link OneShotBenchmark#impl}). */
  @Param({"cmk", "gcm"})
  public String impl;

  private boolean onCmk;

  private EnvelopeCrypto cmk;
  private RawGcm gcm;
  private byte[] plaintext;
  private byte[] envelope;
  private byte[] gcmMessage;
  private final byte[] readBuffer = new byte[WRITE_CHUNK];
  private byte[] segmentBuffer;

  /** Builds both sides, makes one message of each and checks both decrypt to the plaintext. */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException, IOException {
    JitWarmUp.jdkGcm(segmentSize);
    onCmk = switch (impl) {
      case "cmk" -> true;
      case "gcm" -> false;
      default -> throw new IllegalArgumentException("impl must be cmk or gcm: " + impl);
    };
    cmk = Fixtures.envelopeCrypto(segmentSize);
    gcm = new RawGcm(new SecureRandom());
    plaintext = Fixtures.plaintext(MESSAGE_SIZE);
    segmentBuffer = new byte[segmentSize];

    ByteArrayOutputStream cmkOut = new ByteArrayOutputStream(MESSAGE_SIZE + (1 << 20));
    try (OutputStream out = cmk.encryptingStream(cmkOut, Fixtures.AAD)) {
      writeChunked(out);
    }
    envelope = cmkOut.toByteArray();

    ByteArrayOutputStream gcmOut = new ByteArrayOutputStream(MESSAGE_SIZE + (1 << 20));
    gcm.sealSegments(plaintext, segmentSize, gcmOut);
    gcmMessage = gcmOut.toByteArray();

    ByteArrayOutputStream check = new ByteArrayOutputStream(MESSAGE_SIZE);
    try (InputStream in = cmk.decryptingStream(new ByteArrayInputStream(envelope), Fixtures.AAD)) {
      in.transferTo(check);
    }
    SetUpCheck.roundTrip(check.toByteArray(), plaintext);
    check.reset();
    gcm.openSegments(
        new ByteArrayInputStream(gcmMessage), segmentSize, (b, n) -> check.write(b, 0, n));
    SetUpCheck.roundTrip(check.toByteArray(), plaintext);
  }

  /** Destroys the cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    cmk.close();
  }

  private void writeChunked(OutputStream out) throws IOException {
    for (int off = 0; off < plaintext.length; off += WRITE_CHUNK) {
      out.write(plaintext, off, Math.min(WRITE_CHUNK, plaintext.length - off));
    }
  }

  /** Streams 64 MiB into one message. */
  @Benchmark
  public long encrypt(Blackhole bh) throws GeneralSecurityException, IOException {
    BlackholeOutputStream sink = new BlackholeOutputStream(bh);
    if (onCmk) {
      try (OutputStream out = cmk.encryptingStream(sink, Fixtures.AAD)) {
        writeChunked(out);
      }
    } else {
      gcm.sealSegments(plaintext, segmentSize, sink);
    }
    return sink.written();
  }

  /** Streams one 64 MiB message back to plaintext. */
  @Benchmark
  public long decrypt(Blackhole bh) throws GeneralSecurityException, IOException {
    return decryptInto(readBuffer, bh);
  }

  /**
   * As {@link #decrypt}, but the application reads one segment's worth per call ({@code
   * segmentSize} bytes), so cmk can decrypt each segment straight into the caller's array. The
   * baseline does exactly what it does in {@link #decrypt}. Shows what the 64 KiB reads of {@link
   * #decrypt} cost with 1 MiB segments: a copy of every verified segment out of the stream's buffer.
   */
  @Benchmark
  public long decryptSegmentReads(Blackhole bh) throws GeneralSecurityException, IOException {
    return decryptInto(segmentBuffer, bh);
  }

  /** One message back to plaintext; cmk's stream is read into {@code buffer}. */
  private long decryptInto(byte[] buffer, Blackhole bh)
      throws GeneralSecurityException, IOException {
    if (!onCmk) {
      return gcm.openSegments(
          new ByteArrayInputStream(gcmMessage), segmentSize, (b, n) -> bh.consume(b));
    }
    long total = 0;
    try (InputStream in = cmk.decryptingStream(new ByteArrayInputStream(envelope), Fixtures.AAD)) {
      int n;
      while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
        bh.consume(buffer);
        total += n;
      }
    }
    return total;
  }
}
