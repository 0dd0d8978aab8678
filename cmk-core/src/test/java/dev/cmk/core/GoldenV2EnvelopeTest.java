package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Format 2 envelopes and their data-key record, written once and committed under {@code
 * src/test/resources/golden/v2/}, must decrypt in every later version — as the format 1 golden
 * files do ({@link GoldenEnvelopeTest}, same test-only key and plaintexts).
 *
 * <p>To (re)generate — only ever for a new format version, never to "fix" this test — run with
 * {@code -Dcmk.golden.v2.write=src/test/resources/golden/v2} (or the environment variable {@code
 * CMK_GOLDEN_V2_WRITE}), then run it again to read what was written.
 */
class GoldenV2EnvelopeTest {
  private static final String[] CASES = {"empty", "short", "three-segments", "exact-segment"};

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = GoldenV2EnvelopeTest.class.getResourceAsStream("/golden/v2/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing golden resource v2/" + name);
      }
      return in.readAllBytes();
    }
  }

  @Test
  void goldenFormatTwoEnvelopes_stillDecryptWithTheirRecord() throws Exception {
    String target = System.getProperty("cmk.golden.v2.write",
        System.getenv("CMK_GOLDEN_V2_WRITE"));
    if (target != null) {
      write(Path.of(target));
    }
    DataKeyRecord record = DataKeyRecord.fromBytes(resource("record.bin"));
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    store.create(record);
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder()
        .provider(new FixedRsaProvider(GoldenEnvelopeTest.goldenKey())).dataKeyStore(store)
        .build()) {
      for (String name : CASES) {
        byte[] envelope = resource(name + ".cmk");
        byte[] expected = GoldenEnvelopeTest.plaintextFor(name);
        byte[] aad = GoldenEnvelopeTest.aadFor(name);
        assertArrayEquals(expected, crypto.decrypt(envelope, aad), name);
        assertArrayEquals(expected,
            crypto.decryptingStream(new ByteArrayInputStream(envelope), aad).readAllBytes(), name);
        EnvelopeInfo info = EnvelopeInfo.of(envelope);
        assertEquals(2, info.formatVersion());
        assertEquals(48, info.headerLength());
        assertEquals(256, info.segmentSize());
        assertEquals(record.id(), info.dataKeyId().orElseThrow());
        assertEquals(expected.length, info.plaintextLength().getAsLong());
      }
    }
    assertEquals(FixedRsaProvider.KEY, record.primary().keyReference());
    assertTrue(record.writerSlots() >= 1);
  }

  private static void write(Path dir) throws Exception {
    Files.createDirectories(dir);
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder()
        .provider(new FixedRsaProvider(GoldenEnvelopeTest.goldenKey()))
        .writeKey(FixedRsaProvider.KEY).segmentSize(256).dataKeyStore(store).build()) {
      DataKeyId id = null;
      for (String name : CASES) {
        byte[] envelope = crypto.encrypt(GoldenEnvelopeTest.plaintextFor(name),
            GoldenEnvelopeTest.aadFor(name));
        id = EnvelopeInfo.of(envelope).dataKeyId().orElseThrow();
        Files.write(dir.resolve(name + ".cmk"), envelope);
      }
      Files.write(dir.resolve("record.bin"), store.read(id).orElseThrow().record().toBytes());
    }
  }
}
