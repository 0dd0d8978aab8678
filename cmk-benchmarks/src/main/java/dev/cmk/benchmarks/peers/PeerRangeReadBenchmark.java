package dev.cmk.benchmarks.peers;

import com.google.crypto.tink.StreamingAead;
import dev.cmk.benchmarks.PeerRun;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RangeReader;
import dev.cmk.testkit.MemoryChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A random 64 KiB range read (an HTTP {@code Range} request on a DICOM blob) from a 1 GiB encrypted
 * object held in memory: cmk's {@link EnvelopeCrypto#rangeReader}
 * against Tink's {@link StreamingAead#newSeekableDecryptingChannel} (AES256_GCM_HKDF_1MB).
 *
 * <p>Both readers are opened once in set-up (both authenticate the header there), as a server
 * keeping an object open would; each operation reads 64 KiB at a random, unaligned offset. cmk
 * decrypts the one or two 64 KiB segments the range touches, Tink the one or two 1 MiB segments.
 */
// PeerRun's settings, with a heap for a 1 GiB object per library.
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class PeerRangeReadBenchmark extends PeerRun {
  /** Plaintext bytes of the object. */
  public static final int OBJECT_SIZE = 1 << 30;

  /** Bytes per read. */
  public static final int RANGE = 64 << 10;

  /** The plaintext repeats this block; its odd length keeps it out of step with the segments. */
  private static final byte[] PATTERN = Peers.plaintext((1 << 20) + 7);

  private EnvelopeCrypto cmk;
  private RangeReader cmkReader;
  private SeekableByteChannel tinkChannel;
  private final ByteBuffer tinkBuffer = ByteBuffer.allocate(RANGE);
  private final SplittableRandom random = new SplittableRandom(42);

  /** Encrypts the object with both libraries, opens both readers and checks a range of each. */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException, IOException {
    Peers.warmJdkGcm(64 << 10, 1 << 20);
    cmk = Peers.cmk();
    StreamingAead tink = Peers.tinkStreaming();
    ArraySink cmkOut = new ArraySink(OBJECT_SIZE + (8 << 20));
    try (OutputStream out = cmk.encryptingStream(cmkOut, Peers.AAD)) {
      writeObject(out);
    }
    ArraySink tinkOut = new ArraySink(OBJECT_SIZE + (8 << 20));
    try (OutputStream out = tink.newEncryptingStream(tinkOut, Peers.AAD)) {
      writeObject(out);
    }
    cmkReader = cmk.rangeReader(MemoryChannel.of(cmkOut.data, cmkOut.size), Peers.AAD);
    tinkChannel =
        tink.newSeekableDecryptingChannel(MemoryChannel.of(tinkOut.data, tinkOut.size), Peers.AAD);
    if (cmkReader.plaintextLength() != OBJECT_SIZE) {
      throw new IllegalStateException("cmk length");
    }
    for (long offset : new long[] {0, 12_345_678, OBJECT_SIZE - RANGE}) {
      byte[] expected = expected(offset);
      if (!Arrays.equals(cmkReader.read(offset, RANGE), expected)
          || !Arrays.equals(readTink(offset), expected)) {
        throw new IllegalStateException("set-up range check failed at " + offset);
      }
    }
  }

  /** Closes the readers and destroys cmk's cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    cmkReader.close();
    tinkChannel.close();
    cmk.close();
  }

  private static void writeObject(OutputStream out) throws IOException {
    long written = 0;
    while (written < OBJECT_SIZE) {
      int n = (int) Math.min(PATTERN.length, OBJECT_SIZE - written);
      out.write(PATTERN, 0, n);
      written += n;
    }
  }

  private static byte[] expected(long offset) {
    byte[] b = new byte[RANGE];
    for (int i = 0; i < RANGE; i++) {
      b[i] = PATTERN[(int) ((offset + i) % PATTERN.length)];
    }
    return b;
  }

  private byte[] readTink(long offset) throws IOException {
    tinkBuffer.clear();
    tinkChannel.position(offset);
    while (tinkBuffer.hasRemaining()) {
      if (tinkChannel.read(tinkBuffer) < 0) {
        throw new IllegalStateException("short read");
      }
    }
    return Arrays.copyOf(tinkBuffer.array(), RANGE);
  }

  private long nextOffset() {
    return random.nextLong(OBJECT_SIZE - RANGE + 1L);
  }

  @Benchmark
  public byte[] cmkRangeRead() {
    return cmkReader.read(nextOffset(), RANGE);
  }

  @Benchmark
  public ByteBuffer tinkRangeRead() throws IOException {
    tinkBuffer.clear();
    tinkChannel.position(nextOffset());
    while (tinkBuffer.hasRemaining()) {
      if (tinkChannel.read(tinkBuffer) < 0) {
        throw new IllegalStateException("short read");
      }
    }
    return tinkBuffer;
  }

  /** A fixed-capacity in-memory sink whose array is used as it is (no copy of 1 GiB). */
  private static final class ArraySink extends OutputStream {
    final byte[] data;
    int size;

    ArraySink(int capacity) {
      data = new byte[capacity];
    }

    @Override
    public void write(int b) {
      data[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, data, size, len);
      size += len;
    }
  }
}
