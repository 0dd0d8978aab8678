package dev.cmk.core.internal;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.core.datakey.StoredDataKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The engine's calls to the configured {@link DataKeyStore}: anything a store throws other than
 * {@link DataKeyStoreUnavailableException} (a faulty implementation) is reported as that
 * exception too, with the failure's type but not its message (which might quote a connection
 * string); and writer slots are claimed here, by conditional replace.
 */
public final class Records {
  /** Conditional replaces tried before a slot claim gives up (each loses only to another claim). */
  static final int SLOT_CLAIM_ATTEMPTS = 16;

  private final DataKeyStore store;

  public Records(DataKeyStore store) {
    this.store = store;
  }

  public Optional<StoredDataKey> read(DataKeyId id) {
    return call(() -> store.read(id));
  }

  public Optional<StoredDataKey> create(DataKeyRecord record) {
    return call(() -> store.create(record));
  }

  public Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next) {
    return call(() -> store.replace(expectedRevision, next));
  }

  public List<StoredDataKey> page(@Nullable DataKeyId after, int limit) {
    return call(() -> store.page(after, limit));
  }

  public Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
      Instant notBefore) {
    return call(() -> store.newestWritable(providerId, primary, notBefore));
  }

  /**
   * Claims the next writer slot of {@code seen}'s record: the slot number, handed to no one else
   * (the store's conditional replace decides between concurrent claimers).
   *
   * @return the claimed slot, or empty if the record is gone or has no slot left
   * @throws DataKeyStoreUnavailableException if the store cannot answer, or the claim kept losing
   */
  public Optional<Long> claimSlot(StoredDataKey seen) {
    StoredDataKey current = seen;
    for (int attempt = 0; attempt < SLOT_CLAIM_ATTEMPTS; attempt++) {
      DataKeyRecord record = current.record();
      if (record.writerSlots() >= DataKeyRecord.MAX_WRITER_SLOTS) {
        return Optional.empty();
      }
      StoredDataKey base = current;
      Optional<StoredDataKey> written =
          call(() -> store.replace(base.revision(), record.withOneMoreWriterSlot()));
      if (written.isPresent()) {
        return Optional.of(record.writerSlots());
      }
      Optional<StoredDataKey> again = read(record.id());
      if (again.isEmpty()) {
        return Optional.empty();
      }
      current = again.get();
    }
    throw new DataKeyStoreUnavailableException(
        "could not claim a writer slot: too many concurrent claims", null);
  }

  private static <T> T call(Supplier<T> call) {
    try {
      return call.get();
    } catch (DataKeyStoreUnavailableException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw e; // a caller's mistake, or a malformed stored record: the caller classifies it
    } catch (RuntimeException e) {
      throw new DataKeyStoreUnavailableException(
          "data-key store failed (" + e.getClass().getSimpleName() + ")", null);
    }
  }
}
