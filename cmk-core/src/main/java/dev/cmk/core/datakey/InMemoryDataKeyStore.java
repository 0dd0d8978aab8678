package dev.cmk.core.datakey;

import org.jspecify.annotations.Nullable;
import dev.cmk.api.KeyReference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A {@link DataKeyStore} in this process's memory: for one process (several {@code
 * EnvelopeCrypto} instances in one JVM share it) and for tests. It does not survive a restart, so
 * envelopes written under it cannot be read after one: services need a durable store ({@code
 * cmk-state-jdbc}, {@code cmk-state-azure-blob}).
 *
 * <p>Thread-safe: every call holds this store's lock, so create and replace are atomic. (A
 * concurrent skip-list map would not do: its compute methods may apply a function more than once,
 * and a replace would then report a write it lost.) Calls are per data-key roll, never per
 * envelope, so the lock is not contended.
 */
public final class InMemoryDataKeyStore implements DataKeyStore {
  private final TreeMap<DataKeyId, StoredDataKey> records = new TreeMap<>();
  private long revisions;

  /** Creates an empty store. */
  public InMemoryDataKeyStore() {}

  @Override
  public synchronized Optional<StoredDataKey> create(DataKeyRecord record) {
    Objects.requireNonNull(record, "record");
    if (records.containsKey(record.id())) {
      return Optional.empty();
    }
    StoredDataKey stored = stored(record);
    records.put(record.id(), stored);
    return Optional.of(stored);
  }

  @Override
  public synchronized Optional<StoredDataKey> read(DataKeyId id) {
    return Optional.ofNullable(records.get(Objects.requireNonNull(id, "id")));
  }

  @Override
  public synchronized Optional<StoredDataKey> replace(String expectedRevision,
      DataKeyRecord next) {
    Objects.requireNonNull(expectedRevision, "expectedRevision");
    Objects.requireNonNull(next, "next");
    StoredDataKey current = records.get(next.id());
    if (current == null || !current.revision().equals(expectedRevision)) {
      return Optional.empty();
    }
    DataKeyStore.checkReplacement(current.record(), next);
    StoredDataKey written = stored(next);
    records.put(next.id(), written);
    return Optional.of(written);
  }

  @Override
  public synchronized Optional<StoredDataKey> newestWritable(String providerId,
      KeyReference primary, Instant notBefore) {
    StoredDataKey newest = null;
    for (StoredDataKey s : records.values()) {
      DataKeyRecord r = s.record();
      if (r.primary().providerId().equals(providerId)
          && r.primary().keyReference().equals(primary) && !r.createdAt().isBefore(notBefore)
          && (newest == null || r.createdAt().isAfter(newest.record().createdAt()))) {
        newest = s;
      }
    }
    return Optional.ofNullable(newest);
  }

  @Override
  public synchronized List<StoredDataKey> page(@Nullable DataKeyId after, int limit) {
    DataKeyStore.checkPageSize(limit);
    SortedMap<DataKeyId, StoredDataKey> tail = after == null ? records
        : records.tailMap(after, false);
    List<StoredDataKey> page = new ArrayList<>(Math.min(limit, 64));
    for (StoredDataKey s : tail.values()) {
      if (page.size() == limit) {
        break;
      }
      page.add(s);
    }
    return page;
  }

  /** {@return how many records the store holds} */
  public synchronized int size() {
    return records.size();
  }

  private StoredDataKey stored(DataKeyRecord record) {
    return new StoredDataKey(record, Long.toString(++revisions));
  }

  @Override
  public synchronized String toString() {
    return "InMemoryDataKeyStore[" + records.size() + " records]";
  }
}
