package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.core.datakey.StoredDataKey;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.MemoryChannel;
import dev.cmk.testkit.Operation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Format 2 end to end through {@link EnvelopeCrypto}: the 48-byte header, one record per data key
 * in the store, reads through a fresh instance with one unwrap per record, format 1 still read,
 * and every way a record or header can be wrong refused with the documented exception.
 */
class FormatV2Test {
  private static final byte[] AAD = "Patient/123/1".getBytes(StandardCharsets.UTF_8);
  private static final InMemoryKeyProvider KEYS = InMemoryKeyProvider.builder().build();
  private static final KeyReference KEY = KEYS.manager().createKey("v2-key", 2048);

  private final FaultInjectingProvider provider = FaultInjectingProvider.wrapping(KEYS);
  private final InMemoryDataKeyStore store = new InMemoryDataKeyStore();

  private EnvelopeCrypto v2(DataKeyStore s) {
    return EnvelopeCrypto.builder().provider(provider).writeKey(KEY).dataKeyStore(s).build();
  }

  private static byte[] data(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void encrypt_oneKibibyte_addsSixtyFourBytesAndNamesTheRecord() {
    try (EnvelopeCrypto crypto = v2(store)) {
      byte[] envelope = crypto.encrypt(data(1024), AAD);
      assertEquals(1024 + 64, envelope.length, "48-byte header + one 16-byte GCM tag");
      assertEquals(2, envelope[4], "format version byte");
      EnvelopeInfo info = EnvelopeInfo.of(envelope);
      assertEquals(2, info.formatVersion());
      assertEquals(48, info.headerLength());
      assertEquals(64, info.overhead().getAsLong());
      DataKeyId id = info.dataKeyId().orElseThrow();
      StoredDataKey stored = store.read(id).orElseThrow();
      assertTrue(KEY.sameKeyAs(stored.record().primary().keyReference()));
      assertEquals(1, stored.record().writerSlots());
      assertThrows(IllegalStateException.class, info::keyReference, "format 2 names no key");
      assertArrayEquals(data(1024), crypto.decrypt(envelope, AAD));
    }
  }

  @Test
  void manyEnvelopes_oneRecord_freshReaderUnwrapsOnce() {
    List<byte[]> envelopes;
    try (EnvelopeCrypto writer = v2(store)) {
      envelopes = java.util.stream.IntStream.range(0, 500)
          .mapToObj(i -> writer.encrypt(data(i), ("row/" + i).getBytes(StandardCharsets.UTF_8)))
          .toList();
    }
    assertEquals(1, store.size(), "one data key, one record, for 500 envelopes");
    try (EnvelopeCrypto reader = v2(store)) {
      provider.resetCounters(); // after the guard's start-up confirmation
      for (int i = 0; i < envelopes.size(); i++) {
        assertArrayEquals(data(i),
            reader.decrypt(envelopes.get(i), ("row/" + i).getBytes(StandardCharsets.UTF_8)));
      }
    }
    assertEquals(1, provider.count(Operation.UNWRAP), "one unwrap per record, not per envelope");
  }

  @Test
  void streamsAndRangeReader_readFormatTwo() throws Exception {
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider).writeKey(KEY)
        .dataKeyStore(store).segmentSize(256).build()) {
      byte[] plaintext = data(256 * 5 + 17);
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      try (OutputStream out = crypto.encryptingStream(sink, AAD)) {
        out.write(plaintext);
      }
      byte[] envelope = sink.toByteArray();
      assertArrayEquals(plaintext, crypto.decrypt(envelope, AAD));
      assertArrayEquals(plaintext,
          crypto.decryptingStream(new ByteArrayInputStream(envelope), AAD).readAllBytes());
      try (RangeReader r = crypto.rangeReader(MemoryChannel.of(envelope), AAD)) {
        assertEquals(plaintext.length, r.plaintextLength());
        assertArrayEquals(Arrays.copyOfRange(plaintext, 250, 550), r.read(250, 300));
        assertEquals(2, r.info().formatVersion());
      }
    }
  }

  @Test
  void formatOneEnvelopes_stillReadByAFormatTwoWriter() {
    byte[] v1;
    try (EnvelopeCrypto old = EnvelopeCrypto.builder().provider(provider).writeKey(KEY).build()) {
      v1 = old.encrypt(data(100), AAD);
    }
    assertEquals(1, v1[4]);
    try (EnvelopeCrypto crypto = v2(store)) {
      assertArrayEquals(data(100), crypto.decrypt(v1, AAD));
    }
  }

  @Test
  void formatTwoEnvelope_withoutAStore_isKeyNotFound() {
    byte[] envelope;
    try (EnvelopeCrypto crypto = v2(store)) {
      envelope = crypto.encrypt(data(10), AAD);
    }
    try (EnvelopeCrypto noStore =
        EnvelopeCrypto.builder().provider(provider).writeKey(KEY).build()) {
      assertThrows(KeyNotFoundException.class, () -> noStore.decrypt(envelope, AAD));
    }
  }

  @Test
  void recordMissingFromTheStore_isKeyNotFoundAndNoProviderCall() {
    byte[] envelope;
    try (EnvelopeCrypto crypto = v2(store)) {
      envelope = crypto.encrypt(data(10), AAD);
    }
    try (EnvelopeCrypto other = v2(new InMemoryDataKeyStore())) {
      provider.resetCounters(); // after the guard's start-up confirmation
      assertThrows(KeyNotFoundException.class, () -> other.decrypt(envelope, AAD));
      assertEquals(0, provider.count(Operation.UNWRAP));
    }
  }

  @Test
  void recordWrappingAnotherDataKey_isInvalidCiphertextAndNotCached() {
    byte[] envelope;
    try (EnvelopeCrypto crypto = v2(store)) {
      envelope = crypto.encrypt(data(10), AAD);
    }
    DataKeyId id = EnvelopeInfo.of(envelope).dataKeyId().orElseThrow();
    StoredDataKey stored = store.read(id).orElseThrow();
    // Someone with write access to the store and the public key swaps in a wrapping of a key
    // they chose, under the same version.
    byte[] chosen = new byte[32];
    WrappedKey forged = KEYS.wrap(stored.record().primary().keyReference(),
        SecretBytes.wrapOwned(chosen));
    store.replace(stored.revision(), stored.record().withWrappings(List.of(forged)));
    try (EnvelopeCrypto reader = v2(store)) {
      assertThrows(InvalidCiphertextException.class, () -> reader.decrypt(envelope, AAD));
      provider.resetCounters(); // a second read unwraps again: nothing was cached
      assertThrows(InvalidCiphertextException.class, () -> reader.decrypt(envelope, AAD));
      assertEquals(1, provider.count(Operation.UNWRAP), "the forged key was not cached");
    }
  }

  @Test
  void everyFlippedHeaderOrBodyBit_isInvalidCiphertext() {
    byte[] envelope;
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider).writeKey(KEY)
        .dataKeyStore(store).segmentSize(256).build()) {
      envelope = crypto.encrypt(data(600), AAD);
      for (int i = 0; i < envelope.length; i++) {
        byte[] t = envelope.clone();
        t[i] ^= 0x01;
        int at = i;
        Class<? extends RuntimeException> expected =
            (i == 4 || i == 5) ? dev.cmk.api.UnsupportedFormatException.class
                : (i >= 7 && i < 39) ? KeyNotFoundException.class // another (absent) record
                : InvalidCiphertextException.class;
        assertThrows(expected, () -> crypto.decrypt(t, AAD), "byte " + at);
      }
      assertThrows(InvalidCiphertextException.class,
          () -> crypto.decrypt(envelope, "Patient/124/1".getBytes(StandardCharsets.UTF_8)));
      assertThrows(InvalidCiphertextException.class,
          () -> crypto.decrypt(Arrays.copyOf(envelope, envelope.length - 1), AAD));
      assertThrows(InvalidCiphertextException.class,
          () -> crypto.decrypt(Arrays.copyOf(envelope, 47), AAD));
    }
  }

  @Test
  void storeDown_writeFailsBeforeAnythingAndReadOfAnUncachedRecordFails() {
    DataKeyStore down = new FailingStore();
    try (EnvelopeCrypto crypto = v2(down)) {
      assertThrows(DataKeyStoreUnavailableException.class, () -> crypto.encrypt(data(1), AAD));
      assertEquals(0, crypto.diagnostics().dataKeysCreated());
    }
    byte[] envelope;
    try (EnvelopeCrypto crypto = v2(store)) {
      envelope = crypto.encrypt(data(1), AAD);
    }
    try (EnvelopeCrypto reader = v2(down)) {
      DataKeyStoreUnavailableException e = assertThrows(DataKeyStoreUnavailableException.class,
          () -> reader.decrypt(envelope, AAD));
      assertFalse(e.getMessage().contains("jdbc:"), e.getMessage());
    }
  }

  @Test
  void builder_formatTwoNeedsAPowerOfTwoSegmentSize() {
    assertThrows(IllegalStateException.class, () -> EnvelopeCrypto.builder().provider(provider)
        .writeKey(KEY).dataKeyStore(store).segmentSize(1000).build());
    assertThrows(IllegalStateException.class, () -> EnvelopeCrypto.builder().provider(provider)
        .writeKey(KEY).shareDataKeyRecords(true).build());
  }

  @Test
  void writeFormatOne_withAStore_writesV1AndReadsBoth() {
    byte[] v2;
    try (EnvelopeCrypto crypto = v2(store)) {
      v2 = crypto.encrypt(data(7), AAD);
    }
    try (EnvelopeCrypto upgrading = EnvelopeCrypto.builder().provider(provider).writeKey(KEY)
        .dataKeyStore(store).writeFormat(1).segmentSize(1000).build()) {
      byte[] v1 = upgrading.encrypt(data(8), AAD);
      assertEquals(1, v1[4]);
      assertArrayEquals(data(8), upgrading.decrypt(v1, AAD));
      assertArrayEquals(data(7), upgrading.decrypt(v2, AAD));
    }
    assertThrows(IllegalStateException.class, () -> EnvelopeCrypto.builder().provider(provider)
        .writeKey(KEY).writeFormat(2).build());
  }

  @Test
  void rewrap_ofAFormatTwoEnvelope_leavesItUnchanged() throws Exception {
    try (EnvelopeCrypto crypto = v2(store)) {
      byte[] envelope = crypto.encrypt(data(5), AAD);
      assertArrayEquals(envelope, crypto.rewrap(envelope));
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      assertEquals(RewrapOutcome.ALREADY_CURRENT,
          crypto.rewrap(new ByteArrayInputStream(envelope), sink));
      assertEquals(0, sink.size());
    }
  }

  @Test
  void dataKeyLimit_rollsToANewRecord() {
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider).writeKey(KEY)
        .dataKeyStore(store).dataKeyLimits(new DataKeyLimits(10, DataKeyLimits.DEFAULT.maxBytes(),
            DataKeyLimits.DEFAULT.maxAge()))
        .build()) {
      for (int i = 0; i < 25; i++) {
        crypto.encrypt(data(i), AAD);
      }
      assertEquals(3, store.size());
      assertEquals(3, crypto.diagnostics().dataKeysCreated());
    }
  }

  /** A store whose every call fails the way an unreachable database does. */
  private static final class FailingStore implements DataKeyStore {
    private static RuntimeException down() {
      return new DataKeyStoreUnavailableException("data-key store unreachable", null);
    }

    @Override
    public Optional<StoredDataKey> create(DataKeyRecord record) {
      throw down();
    }

    @Override
    public Optional<StoredDataKey> read(DataKeyId id) {
      throw new IllegalStateException("jdbc:postgresql://db?password=secret refused");
    }

    @Override
    public Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next) {
      throw down();
    }

    @Override
    public Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
        Instant notBefore) {
      throw down();
    }

    @Override
    public List<StoredDataKey> page(DataKeyId after, int limit) {
      throw down();
    }
  }
}
