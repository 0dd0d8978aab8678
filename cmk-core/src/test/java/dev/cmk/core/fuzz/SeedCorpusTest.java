package dev.cmk.core.fuzz;

import static dev.cmk.core.fuzz.FuzzFixture.AAD;
import static dev.cmk.core.fuzz.FuzzFixture.READER;
import static dev.cmk.core.fuzz.FuzzFixture.plaintext;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.RangeReader;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.MemoryChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Pins what the committed fuzz seed corpus means, so the regression pass keeps exercising both the
 * accepting and every rejecting path: each seed's file name says its outcome ({@code ok-sS-nN}
 * decrypts to {@link FuzzFixture#plaintext}{@code (N)} with segment size S; {@code invalid-},
 * {@code unsupported-} and {@code notfound-} end in {@link InvalidCiphertextException}, {@link
 * UnsupportedFormatException} and {@link KeyNotFoundException}).
 *
 * <p>To regenerate the corpus (only when the format changes; the envelopes are random, so every
 * run produces new bytes), run from {@code cmk-core}:
 *
 * <pre>
 * mvn test -Dtest=SeedCorpusTest -Dcmk.fuzz.corpus.write=src/test/resources
 * </pre>
 */
class SeedCorpusTest {
  private static final Pattern OK = Pattern.compile("ok-.*s(\\d+)-n(\\d+)");

  @Test
  void envelopeSeeds_fileNameStatesOutcome_decryptAgrees() throws Exception {
    Map<String, byte[]> seeds = seeds(SeedCorpus.ENVELOPES, SeedCorpusTest::envelopeSeeds);
    assertTrue(seeds.size() >= 30, "corpus has " + seeds.size() + " envelope seeds");
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      String name = e.getKey();
      byte[] input = e.getValue();
      Matcher ok = OK.matcher(name);
      if (ok.matches()) {
        byte[] expected = plaintext(Integer.parseInt(ok.group(2)));
        assertArrayEquals(expected, READER.decrypt(input, AAD), name);
        assertArrayEquals(expected,
            READER.decryptingStream(new ByteArrayInputStream(input), AAD).readAllBytes(), name);
        assertEquals(Integer.parseInt(ok.group(1)), EnvelopeInfo.of(input).segmentSize());
      } else {
        Class<? extends CmkException> expected = expectedFailure(name);
        assertThrows(expected, () -> READER.decrypt(input, AAD), name);
        assertThrows(expected,
            () -> READER.decryptingStream(new ByteArrayInputStream(input), AAD).readAllBytes(),
            name);
      }
    }
  }

  @Test
  void rangeSeeds_fileNameStatesOutcome_rangeReaderAgrees() throws Exception {
    Map<String, byte[]> seeds = seeds(SeedCorpus.RANGES, SeedCorpusTest::rangeSeeds);
    assertTrue(seeds.size() >= 8, "corpus has " + seeds.size() + " range seeds");
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      String name = e.getKey();
      byte[] input = e.getValue();
      long offset = u32(input, 0);
      long length = u32(input, 4);
      byte[] envelope = Arrays.copyOfRange(input, 8, input.length);
      Matcher ok = OK.matcher(name);
      if (ok.matches()) {
        byte[] whole = plaintext(Integer.parseInt(ok.group(2)));
        try (RangeReader r = READER.rangeReader(MemoryChannel.of(envelope), AAD)) {
          assertEquals(whole.length, r.plaintextLength(), name);
          assertTrue(offset + length <= whole.length, name + ": seed range inside the plaintext");
          assertArrayEquals(
              Arrays.copyOfRange(whole, (int) offset, (int) (offset + length)),
              r.read(offset, (int) length), name);
        }
      } else {
        assertEquals(InvalidCiphertextException.class, expectedFailure(name), name);
        assertThrows(InvalidCiphertextException.class, () -> {
          try (RangeReader r = READER.rangeReader(MemoryChannel.of(envelope), AAD)) {
            r.read(Math.min(offset, r.plaintextLength()),
                (int) Math.min(length, r.plaintextLength() - Math.min(offset, r.plaintextLength())));
          }
        }, name);
      }
    }
  }

  private static Class<? extends CmkException> expectedFailure(String name) {
    if (name.startsWith("invalid-")) {
      return InvalidCiphertextException.class;
    }
    if (name.startsWith("unsupported-")) {
      return UnsupportedFormatException.class;
    }
    if (name.startsWith("notfound-")) {
      return KeyNotFoundException.class;
    }
    throw new AssertionError("seed name does not state its outcome: " + name);
  }

  /**
   * The committed seeds in {@code dir} of the test class path, or, in write mode, freshly
   * generated ones (written to the source tree, where the next build picks them up).
   */
  private static Map<String, byte[]> seeds(String dir, SeedSource generate) throws Exception {
    String target = System.getProperty("cmk.fuzz.corpus.write");
    if (target != null) {
      Map<String, byte[]> fresh = generate.seeds();
      Path out = Path.of(target).resolve(dir);
      Files.createDirectories(out);
      for (Map.Entry<String, byte[]> e : fresh.entrySet()) {
        Files.write(out.resolve(e.getKey()), e.getValue());
      }
      return fresh;
    }
    return SeedCorpus.load(dir);
  }

  @FunctionalInterface
  private interface SeedSource {
    Map<String, byte[]> seeds() throws Exception;
  }

  // ------------------------------------------------------------------ generation

  static Map<String, byte[]> envelopeSeeds() throws IOException {
    Map<String, byte[]> s = new LinkedHashMap<>();
    for (int n : new int[] {0, 1, 255, 256, 257, 700, 2048}) {
      s.put("ok-s256-n" + n, FuzzFixture.writer(256).encrypt(plaintext(n), AAD));
    }
    s.put("ok-s4096-n5000", FuzzFixture.writer(4096).encrypt(plaintext(5000), AAD));
    s.put("ok-stream-s65536-n70000", streamed(65536, 70000));

    byte[] e = FuzzFixture.writer(256).encrypt(plaintext(700), AAD); // 3 segments
    EnvelopeInfo info = EnvelopeInfo.of(e);
    int h = info.headerLength();
    int p = 13; // provider id
    int ref = p + info.providerId().length() + 2;
    int alg = ref + info.keyReference().toString().length();
    int wk = alg + 3;
    int tag = h - 32;
    int seg = 256 + 16;

    s.put("invalid-empty", new byte[0]);
    s.put("invalid-truncated-prefix", Arrays.copyOf(e, 11));
    s.put("invalid-truncated-in-header", Arrays.copyOf(e, 60));
    s.put("invalid-truncated-after-header", Arrays.copyOf(e, h));
    s.put("invalid-truncated-at-segment-boundary", Arrays.copyOf(e, h + seg));
    s.put("invalid-truncated-last-byte", Arrays.copyOf(e, e.length - 1));
    s.put("invalid-appended-byte", Arrays.copyOf(e, e.length + 1));
    s.put("invalid-magic", with(e, 0, 'X'));
    s.put("unsupported-version-2", with(e, 4, 2));
    s.put("unsupported-suite-2", with(e, 5, 2));
    s.put("invalid-header-length-short-by-one", with(e, 7, (h - 1) & 0xff));
    s.put("invalid-segment-size-changed", with(e, 10, 2)); // 256 -> 512
    s.put("invalid-nonce-prefix", flip(e, tag - 4));
    s.put("notfound-provider-id-changed", with(e, p + 3, 'y')); // "fuzz" -> "fuzy"
    s.put("notfound-key-version-changed", with(e, alg - 1, '2')); // .../00000002
    s.put("unsupported-wrap-algorithm-9", with(e, alg, 9));
    s.put("invalid-wrap-algorithm-sha1", with(e, alg, 2));
    s.put("invalid-wrapped-key", flip(e, wk + 17));
    s.put("invalid-tag", flip(e, tag + 3));
    s.put("invalid-body-first-segment", flip(e, h + 5));
    s.put("invalid-body-last-tag", flip(e, e.length - 1));
    s.put("invalid-segments-swapped", swapSegments(e, h, seg));
    s.put("invalid-segment-duplicated", duplicateFirstSegment(e, h, seg));
    s.put("invalid-wrong-associated-data",
        FuzzFixture.writer(256).encrypt(plaintext(100), "other".getBytes(StandardCharsets.UTF_8)));
    s.put("invalid-junk-zip", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0});

    byte[] wrapped = Arrays.copyOfRange(e, wk, tag - 7);
    byte[] body = Arrays.copyOfRange(e, h, e.length);
    s.put("invalid-claims-2gib-segment",
        concat(new RawHeader().segmentSize(0x8000_0000L).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-claims-4gib-segment",
        concat(new RawHeader().segmentSize(0xFFFF_FFFFL).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-claims-16mib-segment-unauthenticated",
        concat(new RawHeader().segmentSize(16 << 20).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-claims-64k-wrapped-key",
        concat(new RawHeader().wrappedKeyLength(0xFFFF).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-claims-64k-key-reference",
        concat(new RawHeader().keyReferenceLength(0xFFFF).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-claims-64k-header",
        concat(new RawHeader().headerLength(0xFFFF).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-claims-255-byte-provider-id",
        concat(new RawHeader().providerIdLength(0xFF).wrappedKey(wrapped).toBytes(), body));
    s.put("invalid-unversioned-key-reference",
        concat(new RawHeader().keyReference("local:fuzz-kek").wrappedKey(wrapped).toBytes(),
            body));
    s.put("notfound-azure-key-reference",
        concat(new RawHeader()
            .keyReference(
                "https://cmkvault.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef")
            .wrappedKey(wrapped).toBytes(), body));
    s.put("notfound-unconfigured-provider", foreignProviderEnvelope());
    return s;
  }

  static Map<String, byte[]> rangeSeeds() {
    Map<String, byte[]> s = new LinkedHashMap<>();
    byte[] e700 = FuzzFixture.writer(256).encrypt(plaintext(700), AAD);
    byte[] e5000 = FuzzFixture.writer(4096).encrypt(plaintext(5000), AAD);
    byte[] e70000 = FuzzFixture.writer(65536).encrypt(plaintext(70000), AAD);
    byte[] e0 = FuzzFixture.writer(256).encrypt(plaintext(0), AAD);
    int h = EnvelopeInfo.of(e700).headerLength();
    s.put("ok-first-byte-s256-n700", range(0, 1, e700));
    s.put("ok-middle-s256-n700", range(300, 200, e700));
    s.put("ok-all-s256-n700", range(0, 700, e700));
    s.put("ok-last-byte-s4096-n5000", range(4999, 1, e5000));
    s.put("ok-across-segments-s65536-n70000", range(65000, 2000, e70000));
    s.put("ok-empty-s256-n0", range(0, 0, e0));
    byte[] firstTampered = flip(e700, h + 5);
    s.put("ok-range-avoids-tampered-segment-s256-n700", range(600, 100, firstTampered));
    s.put("invalid-range-hits-tampered-segment", range(0, 10, firstTampered));
    s.put("invalid-truncated-at-segment-boundary", range(0, 10, Arrays.copyOf(e700, h + 272)));
    s.put("invalid-last-tag", range(0, 10, flip(e700, e700.length - 1)));
    s.put("invalid-appended-byte", range(0, 10, Arrays.copyOf(e700, e700.length + 1)));
    s.put("invalid-claims-2gib-segment",
        range(0, 10, concat(new RawHeader().segmentSize(0x8000_0000L).toBytes(),
            Arrays.copyOfRange(e700, h, e700.length))));
    return s;
  }

  private static byte[] streamed(int segmentSize, int n) throws IOException {
    java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
    try (java.io.OutputStream out = FuzzFixture.writer(segmentSize).encryptingStream(sink, AAD)) {
      out.write(plaintext(n));
    }
    return sink.toByteArray();
  }

  private static byte[] foreignProviderEnvelope() {
    InMemoryKeyProvider elsewhere = InMemoryKeyProvider.builder().id("elsewhere").build();
    EnvelopeCrypto writer = EnvelopeCrypto.builder()
        .provider(elsewhere)
        .writeKey(elsewhere.manager().importKey("fuzz-kek", FuzzFixture.testKey()))
        .segmentSize(256)
        .build();
    return writer.encrypt(plaintext(50), AAD);
  }

  private static byte[] range(long offset, long length, byte[] envelope) {
    byte[] b = new byte[8 + envelope.length];
    for (int i = 0; i < 4; i++) {
      b[i] = (byte) (offset >>> (24 - 8 * i));
      b[4 + i] = (byte) (length >>> (24 - 8 * i));
    }
    System.arraycopy(envelope, 0, b, 8, envelope.length);
    return b;
  }

  private static byte[] with(byte[] e, int at, int value) {
    byte[] c = e.clone();
    c[at] = (byte) value;
    return c;
  }

  private static byte[] flip(byte[] e, int at) {
    byte[] c = e.clone();
    c[at] ^= 0x01;
    return c;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static byte[] swapSegments(byte[] e, int h, int seg) {
    byte[] c = e.clone();
    System.arraycopy(e, h, c, h + seg, seg);
    System.arraycopy(e, h + seg, c, h, seg);
    return c;
  }

  private static byte[] duplicateFirstSegment(byte[] e, int h, int seg) {
    byte[] c = Arrays.copyOf(e, e.length + seg);
    System.arraycopy(e, h, c, h + seg, e.length - h);
    return c;
  }

  private static long u32(byte[] b, int off) {
    return ((b[off] & 0xffL) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8)
        | (b[off + 3] & 0xff);
  }
}
