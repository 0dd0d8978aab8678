package dev.cmk.core.datakey;

import java.util.Objects;

/**
 * A {@link DataKeyRecord} as a store holds it, with the store's revision of it.
 *
 * <p>The revision is opaque (a row version, an ETag): a conditional replace names the revision it
 * replaces, and fails if another writer changed the record first.
 *
 * @param record the stored record
 * @param revision the store's revision of it, never empty
 */
public record StoredDataKey(DataKeyRecord record, String revision) {
  /**
   * Checks that both parts are present.
   *
   * @param record the stored record
   * @param revision the store's revision, not empty
   */
  public StoredDataKey {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(revision, "revision");
    if (revision.isEmpty()) {
      throw new IllegalArgumentException("revision must not be empty");
    }
  }
}
