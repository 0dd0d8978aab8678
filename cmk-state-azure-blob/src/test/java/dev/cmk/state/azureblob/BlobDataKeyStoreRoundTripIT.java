package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.Operation;
import dev.cmk.testkit.azurite.Azurite;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Format v2 end to end through {@link EnvelopeCrypto} over {@link BlobDataKeyStore} on Azurite:
 * writers and readers are separate instances with separate container clients, as separate
 * services would be.
 */
class BlobDataKeyStoreRoundTripIT {
  private static final byte[] AAD = "study/1.2.840/series/7".getBytes(StandardCharsets.UTF_8);
  private static final InMemoryKeyProvider KEYS = InMemoryKeyProvider.create();
  private static final KeyReference KEY = KEYS.manager().createKey("blob-v2", 2048);

  @RegisterExtension
  static final AzuriteContainer STORAGE = new AzuriteContainer();

  private static BlobDataKeyStore store() {
    return BlobDataKeyStore.builder().containerClient(STORAGE.client()).build();
  }

  @Test
  void v2Envelopes_roundTripThroughAnotherInstance_withOneUnwrapForTheirRecord() {
    List<byte[]> plaintexts = new ArrayList<>();
    List<byte[]> envelopes = new ArrayList<>();
    BlobDataKeyStore writerStore = store();
    try (EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(KEYS).writeKey(KEY)
        .dataKeyStore(writerStore).build()) {
      for (int i = 0; i < 20; i++) {
        byte[] p = new byte[1024];
        Arrays.fill(p, (byte) i);
        plaintexts.add(p);
        envelopes.add(writer.encrypt(p, AAD));
      }
    }
    byte[] first = envelopes.get(0);
    assertEquals(1024 + 64, first.length, "v2 overhead of a one-segment envelope");
    assertEquals(2, first[4], "format version");
    DataKeyId id = EnvelopeInfo.of(first).dataKeyId().orElseThrow();
    for (byte[] e : envelopes) {
      assertEquals(id, EnvelopeInfo.of(e).dataKeyId().orElseThrow(), "one record for all");
    }
    DataKeyRecord stored = store().read(id).orElseThrow().record();
    assertEquals(KEY, stored.primary().keyReference());
    assertTrue(STORAGE.client().getBlobClient(writerStore.blobName(id)).exists());

    FaultInjectingProvider counted = FaultInjectingProvider.wrapping(KEYS);
    try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(counted)
        .dataKeyStore(store()).build()) {
      counted.resetCounters();
      for (int i = 0; i < envelopes.size(); i++) {
        assertArrayEquals(plaintexts.get(i), reader.decrypt(envelopes.get(i), AAD));
      }
    }
    assertEquals(1, counted.count(Operation.UNWRAP), "one unwrap for the record");
  }

  @Test
  void sharingWriters_joinOneRecordThroughTheContainer_inTheirOwnSlots() {
    DataKeyLimits limits = new DataKeyLimits(1000, DataKeyLimits.DEFAULT.maxBytes(),
        DataKeyLimits.DEFAULT.maxAge());
    KeyReference key = KEYS.manager().createKey("blob-v2-shared", 2048);
    try (EnvelopeCrypto a = EnvelopeCrypto.builder().provider(KEYS).writeKey(key)
            .dataKeyStore(store()).shareDataKeyRecords(true).dataKeyLimits(limits).build();
        EnvelopeCrypto b = EnvelopeCrypto.builder().provider(KEYS).writeKey(key)
            .dataKeyStore(store()).shareDataKeyRecords(true).dataKeyLimits(limits).build()) {
      byte[] fromA = a.encrypt("a".getBytes(StandardCharsets.UTF_8), AAD);
      byte[] fromB = b.encrypt("b".getBytes(StandardCharsets.UTF_8), AAD);
      assertEquals(EnvelopeInfo.of(fromA).dataKeyId(), EnvelopeInfo.of(fromB).dataKeyId(),
          "b joined a's record");
      assertEquals(0, ByteBuffer.wrap(fromA).getInt(39), "a's slot");
      assertEquals(1, ByteBuffer.wrap(fromB).getInt(39), "b's slot");
      DataKeyId id = EnvelopeInfo.of(fromA).dataKeyId().orElseThrow();
      assertEquals(2, store().read(id).orElseThrow().record().writerSlots());
      assertArrayEquals("b".getBytes(StandardCharsets.UTF_8), a.decrypt(fromB, AAD));
    }
  }

  @Test
  void recordMissingOrStorageDown_readFailsAsNotFoundOrUnavailable() {
    byte[] envelope;
    try (Azurite own = Azurite.start()) {
      BlobContainerClient client = own.client(STORAGE.name());
      client.create();
      try (EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(KEYS).writeKey(KEY)
          .dataKeyStore(BlobDataKeyStore.builder().containerClient(client).build()).build()) {
        envelope = writer.encrypt(new byte[] {1, 2, 3}, AAD);
      }
      try (EnvelopeCrypto elsewhere = EnvelopeCrypto.builder().provider(KEYS)
          .dataKeyStore(store()).build()) {
        assertThrows(KeyNotFoundException.class, () -> elsewhere.decrypt(envelope, AAD),
            "a store without the record");
      }
      try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(KEYS)
          .dataKeyStore(BlobDataKeyStore.builder().containerClient(client).build()).build()) {
        assertArrayEquals(new byte[] {1, 2, 3}, reader.decrypt(envelope, AAD));
      }
    }
    try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(KEYS)
        .dataKeyStore(BlobDataKeyStore.builder()
            .containerClient(Azurite.client(Azurite.connectionString(1), STORAGE.name()))
            .build())
        .build()) {
      assertThrows(DataKeyStoreUnavailableException.class, () -> reader.decrypt(envelope, AAD));
    }
  }
}
