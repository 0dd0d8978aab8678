package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Round trips over plaintext sizes from 0 to several segments, concentrating on every segment
 * boundary ±1, through every API pair: one-shot, streaming (random chunking), range reads.
 */
class EnvelopeRoundTripTest {
  private static final int SEGMENT = 256;
  private static final EnvelopeCrypto CRYPTO = TestKeys.crypto(SEGMENT);

  @Provide
  Arbitrary<Integer> sizes() {
    Arbitrary<Integer> boundaries =
        Arbitraries.integers().between(0, 6).flatMap(k ->
            Arbitraries.integers().between(-1, 1).map(d -> Math.max(0, k * SEGMENT + d)));
    return Arbitraries.oneOf(boundaries, Arbitraries.integers().between(0, 6 * SEGMENT + 17));
  }

  private static byte[] data(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Property(tries = 300)
  void oneShot_anySize_roundTrips(@ForAll("sizes") int size, @ForAll long seed, @ForAll byte[] aad) {
    byte[] plaintext = data(size, seed);
    byte[] envelope = CRYPTO.encrypt(plaintext, aad);
    assertArrayEquals(plaintext, CRYPTO.decrypt(envelope, aad));
    assertEquals(
        EnvelopeInfo.envelopeLength(size, EnvelopeInfo.of(envelope).headerLength(), SEGMENT),
        envelope.length);
  }

  @Property(tries = 200)
  void streaming_anySizeAnyChunking_roundTripsAndMatchesOneShotFormat(
      @ForAll("sizes") int size,
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 700) int chunk,
      @ForAll byte[] aad)
      throws IOException {
    byte[] plaintext = data(size, seed);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = CRYPTO.encryptingStream(sink, aad)) {
      for (int i = 0; i < size; i += chunk) {
        out.write(plaintext, i, Math.min(chunk, size - i));
      }
    }
    byte[] envelope = sink.toByteArray();
    assertEquals(
        EnvelopeInfo.envelopeLength(size, EnvelopeInfo.of(envelope).headerLength(), SEGMENT),
        envelope.length,
        "same layout as one-shot: full segments, then one last segment of 1..S bytes");
    // Streamed envelopes decrypt one-shot, and one-shot envelopes decrypt streamed.
    assertArrayEquals(plaintext, CRYPTO.decrypt(envelope, aad));
    byte[] oneShot = CRYPTO.encrypt(plaintext, aad);
    assertArrayEquals(plaintext, readAll(CRYPTO.decryptingStream(new ByteArrayInputStream(oneShot), aad), chunk));
    assertArrayEquals(plaintext, readAll(CRYPTO.decryptingStream(new ByteArrayInputStream(envelope), aad), chunk));
  }

  @Property(tries = 60)
  void rangeReads_randomRanges_matchPlaintext(
      @ForAll("sizes") int size, @ForAll long seed, @ForAll("ranges") int[][] ranges)
      throws IOException {
    byte[] plaintext = data(size, seed);
    byte[] aad = {1, 2, 3};
    Path file = Files.createTempFile("cmk-range", ".env");
    try {
      Files.write(file, CRYPTO.encrypt(plaintext, aad));
      SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ);
      try (RangeReader reader = CRYPTO.rangeReader(ch, aad)) {
        assertEquals(size, reader.plaintextLength());
        for (int[] r : ranges) {
          int offset = size == 0 ? 0 : r[0] % (size + 1);
          int length = Math.min(r[1], size - offset);
          byte[] expected = Arrays.copyOfRange(plaintext, offset, offset + length);
          assertArrayEquals(expected, reader.read(offset, length));
          assertArrayEquals(expected, reader.stream(offset, length).readAllBytes());
        }
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Provide
  Arbitrary<int[][]> ranges() {
    Arbitrary<int[]> one =
        Combinators.combine(
                Arbitraries.integers().between(0, 10 * SEGMENT),
                Arbitraries.integers().between(0, 3 * SEGMENT + 5))
            .as((a, b) -> new int[] {a, b});
    return one.array(int[][].class).ofMinSize(1).ofMaxSize(8);
  }

  private static byte[] readAll(InputStream in, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    try (in) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }
}
