package dev.cmk.core.datakey;

import dev.cmk.api.KeyReference;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A {@link DataKeyStore} that counts the calls it passes to another, for the numbers of the
 * stores' multi-process tests (cmk-core's test jar). Thread-safe if the wrapped store is.
 */
public final class CountingDataKeyStore implements DataKeyStore {
  private final AtomicInteger creates = new AtomicInteger();
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger replacesWon = new AtomicInteger();
  private final AtomicInteger replacesLost = new AtomicInteger();
  private final AtomicInteger newest = new AtomicInteger();
  private final DataKeyStore store;

  /**
   * Counts the calls to {@code store}.
   *
   * @param store the store that answers
   */
  public CountingDataKeyStore(DataKeyStore store) {
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
  public List<StoredDataKey> page(@Nullable DataKeyId after, int limit) {
    return store.page(after, limit);
  }

  /** {@return how many times {@link #read} was called} */
  public int reads() {
    return reads.get();
  }

  /** {@return the counts as {@code create read newestWritable replaceWon replaceLost}} */
  public String counts() {
    return creates + " " + reads + " " + newest + " " + replacesWon + " " + replacesLost;
  }
}
