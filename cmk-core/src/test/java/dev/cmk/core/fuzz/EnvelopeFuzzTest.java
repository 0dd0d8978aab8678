package dev.cmk.core.fuzz;

import static dev.cmk.core.fuzz.FuzzFixture.AAD;
import static dev.cmk.core.fuzz.FuzzFixture.MAX_HEADER_LENGTH;
import static dev.cmk.core.fuzz.FuzzFixture.READER;
import static dev.cmk.core.fuzz.FuzzFixture.withBoundedAllocation;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the envelope parser and decryptor through the public API: one-shot
 * {@link EnvelopeCrypto#decrypt}, {@link EnvelopeCrypto#decryptingStream} read to the end, and
 * {@link EnvelopeInfo#of} and {@link EnvelopeInfo#read}.
 *
 * <p>Contract checked for every input: the only exceptions are {@link InvalidCiphertextException},
 * {@link UnsupportedFormatException} and (for an envelope naming a provider or key this reader was
 * not configured with) {@link KeyNotFoundException}; no input hangs (per-input timeout); no input
 * makes the target allocate more than a fixed allowance plus four times its length ({@link
 * FuzzFixture#withBoundedAllocation}), so a length field nobody authenticated cannot make it
 * allocate; a header is rejected after at most 4096 bytes of its stream; and the three paths
 * agree: whatever one of them accepts, the others accept with the same plaintext.
 *
 * <p>In a normal build Jazzer runs in regression mode: each seed of {@link SeedCorpus} under
 * {@code src/test/resources/fuzz/envelope/} (plus the empty input) is one invocation of each
 * target, a few seconds in all. To fuzz, run one target at a time (at most one fuzzes per run):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -pl cmk-core test -Djacoco.skip=true \
 *     -Dtest='EnvelopeFuzzTest#decrypt_anyBytes_onlyDocumentedOutcomes' -Djazzer.max_duration=10m
 * </pre>
 *
 * The seeds start the mutator; new coverage is kept in {@code cmk-core/.cifuzz-corpus/} (scratch,
 * not committed). A failing input is written to {@code cmk-core/} (Jazzer logs the file name);
 * once fixed, move it into {@code src/test/resources/fuzz/envelope/} under a name stating its
 * outcome, and it stays a regression test.
 */
class EnvelopeFuzzTest {

  @MethodSource("dev.cmk.core.fuzz.SeedCorpus#envelopes")
  @FuzzTest(maxDuration = "5m")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void decrypt_anyBytes_onlyDocumentedOutcomes(byte[] input) throws Exception {
    withBoundedAllocation(input.length, "decrypt", () -> decrypt(input));
  }

  @MethodSource("dev.cmk.core.fuzz.SeedCorpus#envelopes")
  @FuzzTest(maxDuration = "5m")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void decryptingStream_anyBytes_onlyDocumentedOutcomes(byte[] input) throws Exception {
    withBoundedAllocation(input.length, "decryptingStream", () -> decryptingStream(input));
  }

  @MethodSource("dev.cmk.core.fuzz.SeedCorpus#envelopes")
  @FuzzTest(maxDuration = "5m")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void inspect_anyBytes_onlyDocumentedOutcomes(byte[] input) throws Exception {
    withBoundedAllocation(input.length, "inspect", () -> inspect(input));
  }

  private static void decrypt(byte[] input) throws IOException {
    byte[] plaintext;
    try {
      plaintext = READER.decrypt(input, AAD);
    } catch (InvalidCiphertextException | UnsupportedFormatException | KeyNotFoundException e) {
      return;
    }
    EnvelopeInfo info = EnvelopeInfo.of(input);
    assertEquals(OptionalLong.of(plaintext.length), info.plaintextLength());
    assertEquals(OptionalLong.of(input.length), info.envelopeLength());
    assertArrayEquals(plaintext, readAll(READER.decryptingStream(stream(input), AAD), 4096),
        "the streaming path accepted the envelope with other plaintext");
  }

  private static void decryptingStream(byte[] input) throws IOException {
    CountingInputStream source = new CountingInputStream(input);
    InputStream plain;
    try {
      plain = READER.decryptingStream(source, AAD);
    } catch (InvalidCiphertextException | UnsupportedFormatException | KeyNotFoundException e) {
      assertTrue(source.count() <= MAX_HEADER_LENGTH,
          "read " + source.count() + " bytes before rejecting a header");
      return;
    }
    // The header authenticated: it was read exactly, and says what inspect says.
    EnvelopeInfo info = EnvelopeInfo.read(stream(input));
    long headerLength = info.headerLength();
    int segment = info.segmentSize();
    assertEquals(headerLength, source.count(), "decryptingStream consumed more than the header");

    // Odd chunk sizes, varying with the input, so reads straddle segment boundaries.
    int chunk = 1 + input.length % 613;
    ByteArrayOutputStream released = new ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    try (plain) {
      for (int n; (n = plain.read(buf, 0, chunk)) >= 0; ) {
        released.write(buf, 0, n);
      }
    } catch (InvalidCiphertextException e) {
      long r = released.size();
      assertEquals(0, r % segment,
          "released " + r + " bytes: part of a segment that then failed authentication");
      long maxConsumed = headerLength + (r / segment) * (segment + 16L) + segment + 16 + 1;
      assertTrue(source.count() <= maxConsumed,
          "read " + source.count() + " bytes to reject segment " + r / segment);
      return;
    }
    assertEquals(input.length, source.count(), "end of stream reported before the input ended");
    byte[] oneShot;
    try {
      oneShot = READER.decrypt(input, AAD);
    } catch (CmkException e) {
      throw new AssertionError("stream accepted what one-shot decrypt rejects: " + e, e);
    }
    assertArrayEquals(oneShot, released.toByteArray());
  }

  private static void inspect(byte[] input) throws IOException {
    CountingInputStream source = new CountingInputStream(input);
    EnvelopeInfo fromStream = null;
    try {
      fromStream = EnvelopeInfo.read(source);
    } catch (InvalidCiphertextException | UnsupportedFormatException e) {
      // documented
    }
    assertTrue(source.count() <= MAX_HEADER_LENGTH,
        "inspect read " + source.count() + " bytes");
    EnvelopeInfo fromBytes;
    try {
      fromBytes = EnvelopeInfo.of(input);
    } catch (InvalidCiphertextException | UnsupportedFormatException e) {
      return;
    }
    if (fromStream == null) {
      fail("inspect(byte[]) accepted a header that inspect(InputStream) rejected");
    }
    assertEquals(fromBytes.headerLength(), source.count(), "inspect(InputStream) over-read");
    EnvelopeInfo headerOnly = new EnvelopeInfo(fromBytes.formatVersion(), fromBytes.suite(),
        fromBytes.key(), fromBytes.dataKeyId(), fromBytes.headerLength(),
        fromBytes.segmentSize(), OptionalLong.empty(), OptionalLong.empty());
    assertEquals(headerOnly, fromStream);
    assertTrue(fromBytes.keyReference().isVersioned());
    assertTrue(fromBytes.headerLength() <= MAX_HEADER_LENGTH);
    long plaintext = fromBytes.plaintextLength().orElseThrow();
    long segments = plaintext == 0 ? 1 : (plaintext + fromBytes.segmentSize() - 1)
        / fromBytes.segmentSize();
    assertEquals(input.length, fromBytes.headerLength() + plaintext + 16 * segments,
        "inspect's plaintext length does not account for the envelope's bytes");
  }

  private static InputStream stream(byte[] b) {
    return new ByteArrayInputStream(b);
  }

  static byte[] readAll(InputStream in, int chunk) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    try (in) {
      for (int n; (n = in.read(buf, 0, chunk)) >= 0; ) {
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }
}
