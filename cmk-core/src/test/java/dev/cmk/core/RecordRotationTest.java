package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.core.datakey.RecordCensus;
import dev.cmk.core.datakey.StoredDataKey;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Format 2 rotation costs O(records): re-wrap changes records, never envelopes; the census says
 * when an old version wraps nothing by itself; removing its wrappings finishes the job, and the
 * envelopes written before decrypt with only the new version.
 */
class RecordRotationTest {
  private static final int ENVELOPES = 600;

  private static byte[] aad(int i) {
    return ("row/" + i).getBytes(StandardCharsets.UTF_8);
  }

  /** Counts the store's writes. */
  private static final class CountingStore implements DataKeyStore {
    final InMemoryDataKeyStore inner = new InMemoryDataKeyStore();
    final AtomicInteger replaces = new AtomicInteger();

    @Override
    public java.util.Optional<StoredDataKey> create(DataKeyRecord record) {
      return inner.create(record);
    }

    @Override
    public java.util.Optional<StoredDataKey> read(dev.cmk.core.datakey.DataKeyId id) {
      return inner.read(id);
    }

    @Override
    public java.util.Optional<StoredDataKey> replace(String expectedRevision,
        DataKeyRecord next) {
      replaces.incrementAndGet();
      return inner.replace(expectedRevision, next);
    }

    @Override
    public java.util.Optional<StoredDataKey> newestWritable(String providerId,
        KeyReference primary, java.time.Instant notBefore) {
      return inner.newestWritable(providerId, primary, notBefore);
    }

    @Override
    public List<StoredDataKey> page(dev.cmk.core.datakey.DataKeyId after, int limit) {
      return inner.page(after, limit);
    }
  }

  @Test
  void rotation_rewrapsRecordsNotEnvelopes_andOldVersionCanGo() {
    InMemoryKeyProvider keys = InMemoryKeyProvider.builder().build();
    KeyReference key = keys.manager().createKey("rotating", 2048);
    FaultInjectingProvider provider = FaultInjectingProvider.wrapping(keys);
    CountingStore store = new CountingStore();
    DataKeyLimits limits = new DataKeyLimits(100, DataKeyLimits.DEFAULT.maxBytes(),
        DataKeyLimits.DEFAULT.maxAge());
    List<byte[]> envelopes = new ArrayList<>();
    KeyReference v1;
    try (EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(provider)
        .writeKey(key.versionless()).dataKeyStore(store).dataKeyLimits(limits).build()) {
      for (int i = 0; i < ENVELOPES; i++) {
        envelopes.add(writer.encrypt(("resource " + i).getBytes(StandardCharsets.UTF_8), aad(i)));
      }
      v1 = writer.keyAccess().status().currentVersion();
    }
    assertEquals(6, store.inner.size(), "600 envelopes at 100 per data key");
    List<byte[]> before = envelopes.stream().map(byte[]::clone).toList();

    KeyReference v2 = keys.manager().rotateKey(key.versionless());
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(provider)
        .writeKey(key.versionless()).dataKeyStore(store).build()) {
      assertEquals(v2, crypto.keyAccess().status().currentVersion());
      provider.resetCounters();
      store.replaces.set(0);
      List<String> seen = new ArrayList<>();
      RewrapReport report = crypto.dataKeyRecords().rewrapAll((id, o, n) -> seen.add(id));
      assertEquals(6, report.total());
      assertEquals(6, report.rewrapped());
      assertEquals(0, report.failed());
      assertEquals(6, seen.size());
      assertEquals(6, provider.count(Operation.UNWRAP), "one unwrap per record");
      assertEquals(6, store.replaces.get(), "one store write per record");
      assertEquals(6L, report.movedFrom().get(v1));

      RecordCensus census = crypto.dataKeyRecords().census();
      assertEquals(6, census.records());
      RecordCensus.VersionUse newUse = use(census, v2);
      RecordCensus.VersionUse oldUse = use(census, v1);
      assertEquals(6, newUse.records());
      assertEquals(6, newUse.preferred());
      assertEquals(0, oldUse.onlyWrapping(), "v1 wraps nothing by itself any more");

      store.replaces.set(0);
      RewrapReport again = crypto.dataKeyRecords().rewrapAll((id, o, n) -> { });
      assertEquals(6, again.alreadyCurrent());
      assertEquals(0, store.replaces.get(), "a second run writes nothing");

      RewrapReport removed = crypto.dataKeyRecords().removeWrappings(v1, (id, o, n) -> { });
      assertEquals(6, removed.rewrapped());
      assertTrue(crypto.dataKeyRecords().census().versions().stream()
          .noneMatch(u -> u.version().equals(v1)));
    }
    for (int i = 0; i < ENVELOPES; i++) {
      assertArrayEquals(before.get(i), envelopes.get(i), "envelopes are never rewritten");
    }
    keys.manager().setEnabled(v1, false);
    try (EnvelopeCrypto reader = EnvelopeCrypto.builder().provider(provider)
        .writeKey(key.versionless()).dataKeyStore(store).build()) {
      for (int i = 0; i < ENVELOPES; i += 37) {
        assertArrayEquals(("resource " + i).getBytes(StandardCharsets.UTF_8),
            reader.decrypt(envelopes.get(i), aad(i)));
      }
    }
  }

  @Test
  void vaultMove_rewrapThenRemoveTheOldKey_readersNeedOnlyTheNewKey() {
    InMemoryKeyProvider oldVault = InMemoryKeyProvider.builder().id("old-vault").build();
    InMemoryKeyProvider newVault = InMemoryKeyProvider.builder().id("new-vault").build();
    KeyReference oldKey = oldVault.manager().createKey("data", 2048);
    KeyReference newKey = newVault.manager().createKey("data-moved", 2048);
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    byte[] envelope;
    try (EnvelopeCrypto before = EnvelopeCrypto.builder().provider(oldVault).writeKey(oldKey)
        .dataKeyStore(store).build()) {
      envelope = before.encrypt("moved".getBytes(StandardCharsets.UTF_8), aad(1));
    }
    try (EnvelopeCrypto moving = EnvelopeCrypto.builder().provider(oldVault).provider(newVault)
        .writeKey("new-vault", newKey).decryptOnlyKeys(List.of(oldKey)).dataKeyStore(store)
        .build()) {
      assertEquals(1, moving.dataKeyRecords().rewrapAll((id, o, n) -> { }).rewrapped());
      assertEquals(1, moving.dataKeyRecords().removeWrappings(oldKey.versionless(),
          (id, o, n) -> { }).rewrapped());
    }
    // Only the new vault is configured: the old one cannot be asked for anything.
    try (EnvelopeCrypto after = EnvelopeCrypto.builder().provider(newVault).writeKey(newKey)
        .dataKeyStore(store).build()) {
      assertArrayEquals("moved".getBytes(StandardCharsets.UTF_8), after.decrypt(envelope, aad(1)));
    }
  }

  @Test
  void removeWrappings_ofARecordsOnlyKey_isRefusedAndTheRecordKept() {
    InMemoryKeyProvider keys = InMemoryKeyProvider.builder().build();
    KeyReference key = keys.manager().createKey("only", 2048);
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder().provider(keys).writeKey(key)
        .dataKeyStore(store).build()) {
      byte[] envelope = crypto.encrypt(new byte[3], aad(0));
      RewrapReport r = crypto.dataKeyRecords().removeWrappings(key.versionless(),
          (id, o, n) -> { });
      assertEquals(1, r.failed());
      assertTrue(r.failures().get(0).error().contains("only"), r.failures().toString());
      assertArrayEquals(new byte[3], crypto.decrypt(envelope, aad(0)));
    }
  }

  @Test
  void dataKeyRecords_withoutAStore_isRefused() {
    try (EnvelopeCrypto crypto = TestKeys.crypto(256)) {
      assertThrows(IllegalStateException.class, crypto::dataKeyRecords);
    }
  }

  private static RecordCensus.VersionUse use(RecordCensus census, KeyReference version) {
    return census.versions().stream().filter(u -> u.version().equals(version)).findFirst()
        .orElseThrow(() -> new AssertionError(version + " not in " + census));
  }
}
