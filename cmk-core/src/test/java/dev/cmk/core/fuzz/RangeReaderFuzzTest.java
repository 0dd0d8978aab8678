package dev.cmk.core.fuzz;

import static dev.cmk.core.fuzz.FuzzFixture.AAD;
import static dev.cmk.core.fuzz.FuzzFixture.READER;
import static dev.cmk.core.fuzz.FuzzFixture.withBoundedAllocation;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RangeReader;
import dev.cmk.testkit.MemoryChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of {@link EnvelopeCrypto#rangeReader} over an in-memory seekable
 * channel, reading one range chosen by the input.
 *
 * <p>Input layout: bytes 0&ndash;3 a big-endian offset, bytes 4&ndash;7 a big-endian length (both
 * reduced into the plaintext), then the envelope. Contract: only documented exceptions; bounded
 * allocation; the reported plaintext length is {@link EnvelopeInfo#of}'s; {@code read} and
 * {@code stream} return the same bytes; wherever the whole envelope decrypts, the range equals that
 * slice of it; and a range that fails to authenticate means the whole envelope does not decrypt
 * either.
 *
 * <p>Seeds: {@code src/test/resources/fuzz/range/} (see {@link SeedCorpus}). To fuzz (see {@link
 * EnvelopeFuzzTest} for what happens to findings):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -pl cmk-core test -Djacoco.skip=true -Dtest='RangeReaderFuzzTest' \
 *     -Djazzer.max_duration=10m
 * </pre>
 */
class RangeReaderFuzzTest {

  @MethodSource("dev.cmk.core.fuzz.SeedCorpus#ranges")
  @FuzzTest(maxDuration = "5m")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void rangeReader_anyBytesAnyRange_onlyDocumentedOutcomes(byte[] input) throws Exception {
    long offsetSeed = input.length >= 4 ? u32(input, 0) : 0;
    long lengthSeed = input.length >= 8 ? u32(input, 4) : 0;
    byte[] envelope = input.length >= 8 ? Arrays.copyOfRange(input, 8, input.length) : new byte[0];
    withBoundedAllocation(envelope.length, "rangeReader",
        () -> readRange(envelope, offsetSeed, lengthSeed));
  }

  private static void readRange(byte[] envelope, long offsetSeed, long lengthSeed)
      throws IOException {
    RangeReader reader;
    try {
      reader = READER.rangeReader(MemoryChannel.of(envelope), AAD);
    } catch (InvalidCiphertextException | UnsupportedFormatException | KeyNotFoundException e) {
      return;
    }
    try (reader) {
      long n = reader.plaintextLength();
      assertEquals(EnvelopeInfo.of(envelope).plaintextLength().orElseThrow(), n);
      long offset = offsetSeed % (n + 1);
      int length = (int) (lengthSeed % (n - offset + 1));
      byte[] viaRead;
      byte[] viaStream;
      try {
        viaRead = reader.read(offset, length);
        viaStream = EnvelopeFuzzTest.readAll(reader.stream(offset, length), 1 + length % 509);
      } catch (InvalidCiphertextException e) {
        assertThrows(CmkException.class, () -> READER.decrypt(envelope, AAD),
            "a range failed to authenticate inside an envelope that decrypts");
        return;
      }
      assertArrayEquals(viaRead, viaStream, "read and stream disagree");
      assertEquals(length, viaRead.length);
      assertThrows(IndexOutOfBoundsException.class, () -> reader.read(n, 1));
      byte[] whole;
      try {
        whole = READER.decrypt(envelope, AAD);
      } catch (InvalidCiphertextException e) {
        return; // tampering outside the range (or outside the last segment) is fine here
      } catch (CmkException e) {
        fail("rangeReader opened an envelope that decrypt refuses with " + e);
        return;
      }
      assertArrayEquals(
          Arrays.copyOfRange(whole, (int) offset, (int) offset + length), viaRead,
          "range differs from the same slice of the whole plaintext");
      assertArrayEquals(whole,
          EnvelopeFuzzTest.readAll(READER.decryptingStream(new ByteArrayInputStream(envelope),
              AAD), 8192));
    }
  }

  private static long u32(byte[] b, int off) {
    return ((b[off] & 0xffL) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8)
        | (b[off + 3] & 0xff);
  }
}
