package dev.cmk.examples.dicom;

import dev.cmk.testkit.GeneratedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * A deterministic, seekable stand-in for a large DICOM Part 10 file, generated on the fly (never
 * held in memory): a zero 128-byte preamble, {@code DICM}, then pseudo-random bytes from a
 * counter-based generator (SplitMix64 of the seed and the 8-byte word index), with {@link #MARKER}
 * written at the start, across a segment boundary in the middle, and at the end, so a search of
 * the stored file for plaintext has something recognisable to look for.
 */
final class SyntheticDicom {
  /** Plaintext that must never appear in a stored file. */
  static final byte[] MARKER =
      "CMK-PLAINTEXT-MARKER-2f8c1d9e-must-never-reach-disk".getBytes(StandardCharsets.US_ASCII);

  private static final long GAMMA = 0x9E3779B97F4A7C15L;
  private static final byte[] DICM = "DICM".getBytes(StandardCharsets.US_ASCII);

  private final long seed;
  private final long length;
  private final long[] markerOffsets;

  SyntheticDicom(long seed, long length) {
    if (length < 132) {
      throw new IllegalArgumentException("shorter than the preamble and DICM");
    }
    this.seed = seed;
    this.length = length;
    long boundary = (length / 2) / 65536 * 65536; // a 64 KiB boundary near the middle
    long middle = boundary > 0 ? boundary - MARKER.length / 2 : length / 2;
    this.markerOffsets =
        length < 132 + 3L * MARKER.length
            ? new long[0]
            : new long[] {132, middle, length - MARKER.length};
  }

  long length() {
    return length;
  }

  /** Fills {@code b[off..off+len)} with the bytes at {@code position..}. */
  void fill(long position, byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    if (position < 0 || position + len > length) {
      throw new IndexOutOfBoundsException("outside the instance");
    }
    int i = 0;
    while (i < len) {
      long p = position + i;
      long word = mix(seed + (p >>> 3) * GAMMA);
      int shift = (int) (p & 7);
      int n = Math.min(8 - shift, len - i);
      for (int k = 0; k < n; k++) {
        b[off + i + k] = (byte) (word >>> ((shift + k) * 8));
      }
      i += n;
    }
    overlay(position, b, off, len, 0, new byte[128]);
    overlay(position, b, off, len, 128, DICM);
    for (long m : markerOffsets) {
      overlay(position, b, off, len, m, MARKER);
    }
  }

  private static void overlay(long position, byte[] b, int off, int len, long at, byte[] what) {
    long from = Math.max(position, at);
    long to = Math.min(position + len, at + what.length);
    for (long p = from; p < to; p++) {
      b[off + (int) (p - position)] = what[(int) (p - at)];
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A stream of {@code count} bytes from {@code offset}. */
  InputStream open(long offset, long count) {
    if (offset < 0 || count < 0 || offset + count > length) {
      throw new IndexOutOfBoundsException("outside the instance");
    }
    return new GeneratedInputStream(count) {
      @Override
      protected void generate(long position, byte[] b, int off, int len) {
        fill(offset + position, b, off, len);
      }
    };
  }

  /** The whole instance as a stream. */
  InputStream open() {
    return open(0, length);
  }

  /** SHA-256 of {@code count} bytes from {@code offset}. */
  byte[] sha256(long offset, long count) throws IOException {
    try (InputStream in = open(offset, count)) {
      return sha256(in);
    }
  }

  /** SHA-256 of a stream, read to its end in 64 KiB steps. */
  static byte[] sha256(InputStream in) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    byte[] buffer = new byte[64 * 1024];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      digest.update(buffer, 0, n);
    }
    return digest.digest();
  }

  /** A whole small synthetic instance as an array. */
  static byte[] array(long seed, int length) {
    return new SyntheticDicom(seed, length).bytes(0, length);
  }

  /** Bytes {@code offset..offset+count-1} as an array (small ranges only). */
  byte[] bytes(long offset, int count) {
    byte[] b = new byte[count];
    fill(offset, b, 0, count);
    return b;
  }
}
