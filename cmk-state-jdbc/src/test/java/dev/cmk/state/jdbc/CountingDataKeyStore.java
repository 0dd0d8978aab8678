package dev.cmk.state.jdbc;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.StoredDataKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link DataKeyStore} that counts the calls it passes to another (for the tests' numbers). */
final class CountingDataKeyStore implements DataKeyStore {
  final AtomicInteger creates = new AtomicInteger();
  final AtomicInteger reads = new AtomicInteger();
  final AtomicInteger replacesWon = new AtomicInteger();
  final AtomicInteger replacesLost = new AtomicInteger();
  final AtomicInteger newest = new AtomicInteger();
  private final DataKeyStore store;

  CountingDataKeyStore(DataKeyStore store) {
    this.store = store;
  }

  @Override
  public Optional<StoredDataKey> create(DataKeyRecord record) {
    creates.incrementAndGet();
    return store.create(record);
  }

  @Override
  public Optional<StoredDataKey> read(DataKeyId id) {
    reads.incrementAndGet();
    return store.read(id);
  }

  @Override
  public Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next) {
    Optional<StoredDataKey> out = store.replace(expectedRevision, next);
    (out.isPresent() ? replacesWon : replacesLost).incrementAndGet();
    return out;
  }

  @Override
  public Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
      Instant notBefore) {
    newest.incrementAndGet();
    return store.newestWritable(providerId, primary, notBefore);
  }

  @Override
  public List<StoredDataKey> page(DataKeyId after, int limit) {
    return store.page(after, limit);
  }

  /** {@return the counts as {@code create read newestWritable replaceWon replaceLost}} */
  String counts() {
    return creates + " " + reads + " " + newest + " " + replacesWon + " " + replacesLost;
  }
}
