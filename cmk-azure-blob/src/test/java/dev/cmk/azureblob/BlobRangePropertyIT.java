package dev.cmk.azureblob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.testkit.azurite.Azurite;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Ranges of one blob against its plaintext, with offsets and lengths drawn around segment edges:
 * every range decrypts to exactly the plaintext's bytes, and fetches no more ciphertext than the
 * segments it covers (less only by what the header GET and the cached last segment already hold).
 */
class BlobRangePropertyIT {
  private static final int SEGMENT = 1024;
  private static final int SEALED = SEGMENT + 16;
  private static final byte[] AAD = "property".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PLAINTEXT = new byte[37 * SEGMENT + 300];

  private static BlobFixture f;
  private static BlobRangeReader reader;
  private static int header;

  @BeforeContainer
  static void upload() throws IOException {
    new Random(20).nextBytes(PLAINTEXT);
    f = new BlobFixture(Azurite.shared(), SEGMENT, 64 * 1024, 2);
    BlobUploadResult r =
        f.client.upload("property", new ByteArrayInputStream(PLAINTEXT), AAD);
    header = (int) (r.envelopeLength() - PLAINTEXT.length - 38L * 16);
    reader = f.client.openRangeReader("property", AAD);
  }

  @AfterContainer
  static void close() {
    reader.close();
    f.close();
  }

  /** A position near a segment edge (-2..+2 bytes), or anywhere, clamped into [0, max]. */
  private static Arbitrary<Long> nearEdges(long max) {
    Arbitrary<Long> edge = Combinators.combine(
            Arbitraries.longs().between(0, max / SEGMENT + 1), Arbitraries.longs().between(-2, 2))
        .as((seg, delta) -> Math.max(0, Math.min(max, seg * SEGMENT + delta)));
    return Arbitraries.oneOf(edge, edge, Arbitraries.longs().between(0, max));
  }

  @Provide
  Arbitrary<Tuple.Tuple2<Long, Long>> ranges() {
    long n = PLAINTEXT.length;
    return nearEdges(n).flatMap(offset -> nearEdges(n - offset).map(len -> Tuple.of(offset, len)));
  }

  @Property(tries = 150)
  void read_anyRange_isThePlaintext_andFetchesOnlyCoveredSegments(
      @ForAll("ranges") Tuple.Tuple2<Long, Long> range) {
    int offset = Math.toIntExact(range.get1());
    int length = Math.toIntExact(range.get2());
    long before = reader.bytesFetched();
    assertArrayEquals(Arrays.copyOfRange(PLAINTEXT, offset, offset + length),
        reader.read(offset, length));
    long fetched = reader.bytesFetched() - before;
    if (length == 0) {
      assertTrue(fetched == 0, "an empty range fetches nothing: " + fetched);
      return;
    }
    long covered = coveredCiphertext(offset, length);
    assertTrue(fetched <= covered, () -> "fetched " + fetched + " > covered " + covered);
    assertTrue(fetched >= covered - BlobSnapshot.HEAD - SEALED,
        () -> "fetched " + fetched + " of " + covered);
  }

  @Property(tries = 50)
  void stream_anyRange_isThePlaintext(@ForAll("ranges") Tuple.Tuple2<Long, Long> range)
      throws IOException {
    int offset = Math.toIntExact(range.get1());
    int length = Math.toIntExact(range.get2());
    try (InputStream in = reader.stream(offset, length)) {
      assertArrayEquals(Arrays.copyOfRange(PLAINTEXT, offset, offset + length), in.readAllBytes());
    }
  }

  private static long coveredCiphertext(long offset, long length) {
    long first = offset / SEGMENT;
    long last = (offset + length - 1) / SEGMENT;
    long start = header + first * SEALED;
    long end = Math.min(header + (last + 1) * SEALED, header + PLAINTEXT.length + 38L * 16);
    return end - start;
  }
}
