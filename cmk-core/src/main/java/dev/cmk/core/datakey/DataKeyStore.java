package dev.cmk.core.datakey;

import org.jspecify.annotations.Nullable;
import dev.cmk.api.KeyReference;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where format v2 keeps its data-key records: written once by the writer that makes a data key,
 * read (and cached) by every reader, changed only by conditional replace.
 *
 * <p>Contract for implementations (pinned by {@code DataKeyStoreContract} in cmk-core's test
 * jar):
 * <ul>
 *   <li>{@link #create} stores a record only if no record has its id, atomically: of two writers
 *       creating the same id, exactly one succeeds.
 *   <li>{@link #read} returns the last value written, with its revision, or empty; never a value
 *       older than one a writer has been told was written (read-your-writes across processes).
 *   <li>{@link #replace} writes only if the stored revision is still {@code expectedRevision},
 *       atomically; of two writers replacing the same revision exactly one succeeds, and a new
 *       revision differs from every earlier one of the record. Writer slots are handed out
 *       through it, so this atomicity is what keeps nonces unique across writers.
 *   <li>Records are never deleted by the store on its own: every envelope under a record needs
 *       it for as long as the envelope is kept.
 *   <li>Failures to reach the store throw {@link DataKeyStoreUnavailableException}, never another
 *       exception type, and never answer "empty" or "written" when they do not know. A stored
 *       record that does not decode (or holds another record's id) is reported as {@link
 *       IllegalArgumentException}: a reader then refuses the envelope as an invalid ciphertext,
 *       a writer does not join that record, and a re-wrap walk stops on it.
 * </ul>
 *
 * <p>Readers call {@link #read} once per record per cache lifetime, writers {@link
 * #newestWritable} and {@link #replace} once per data-key roll; never per envelope.
 * Implementations must be thread-safe.
 */
public interface DataKeyStore {

  /**
   * Stores a new record.
   *
   * @param record the record, with {@code writerSlots} counting the creator's own slot
   * @return the stored record, or empty if a record with this id already exists
   * @throws DataKeyStoreUnavailableException if the store cannot answer (the record may or may
   *     not have been stored; the caller reads it)
   */
  Optional<StoredDataKey> create(DataKeyRecord record);

  /**
   * Reads a record.
   *
   * @param id the record's id
   * @return the record, or empty if the store has none with this id
   * @throws DataKeyStoreUnavailableException if the store cannot answer
   */
  Optional<StoredDataKey> read(DataKeyId id);

  /**
   * Replaces a record if its stored revision is still {@code expectedRevision}.
   *
   * @param expectedRevision the revision read before
   * @param next the new value, with the same id, creation time and creator
   * @return the new stored record, or empty if the record changed meanwhile (read again)
   * @throws DataKeyStoreUnavailableException if the store cannot answer (the replace may or may
   *     not have happened; the caller reads again)
   * @throws IllegalArgumentException if {@code next} changes the id, creation time or creator
   */
  Optional<StoredDataKey> replace(String expectedRevision, DataKeyRecord next);

  /**
   * The newest record whose first wrapping is under {@code primary} (same provider id and
   * version; a replace may change the first wrapping, and this follows it) created at or after
   * {@code notBefore}: the one a writer configured with that key version may share.
   *
   * @param providerId the configured provider's id
   * @param primary the key version new data keys are wrapped under
   * @param notBefore the oldest creation time still writable
   * @return the newest such record, or empty
   * @throws DataKeyStoreUnavailableException if the store cannot answer
   */
  Optional<StoredDataKey> newestWritable(String providerId, KeyReference primary,
      Instant notBefore);

  /**
   * Records in ascending id order, for re-wrap and census: up to {@code limit} records whose id
   * sorts after {@code after}.
   *
   * @param after the last id of the previous page, or {@code null} for the first page
   * @param limit page size, 1 to 1,000
   * @return the page; fewer than {@code limit} records means the end
   * @throws DataKeyStoreUnavailableException if the store cannot answer
   */
  List<StoredDataKey> page(@Nullable DataKeyId after, int limit);

  /**
   * Checks that {@code next} may replace {@code current} (for implementations).
   *
   * @param current the stored record
   * @param next its replacement
   * @throws IllegalArgumentException if {@code next} changes the id, creation time or creator,
   *     or hands back writer slots
   */
  static void checkReplacement(DataKeyRecord current, DataKeyRecord next) {
    if (!current.id().equals(next.id()) || !current.createdAt().equals(next.createdAt())
        || !current.createdBy().equals(next.createdBy())) {
      throw new IllegalArgumentException("a replace may change wrappings and writer slots only");
    }
    if (next.writerSlots() < current.writerSlots()) {
      throw new IllegalArgumentException("writer slots once handed out are never handed back");
    }
  }

  /**
   * Checks a page size (for implementations).
   *
   * @param limit the requested page size
   * @return {@code limit}
   * @throws IllegalArgumentException if it is not 1 to 1,000
   */
  static int checkPageSize(int limit) {
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("page size must be 1 to 1000");
    }
    return limit;
  }
}
