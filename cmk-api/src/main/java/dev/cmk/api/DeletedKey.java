package dev.cmk.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A soft-deleted key, as listed by {@link dev.cmk.api.spi.KeyManager#listDeletedKeys()}:
 * recoverable until {@code scheduledPurge}.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param key the key (versionless)
 * @param deletedOn when it was deleted
 * @param scheduledPurge when its retention ends; after that it is gone and may be purged even with
 *     purge protection on
 * @param versions how many versions it has (at least one)
 */
public record DeletedKey(KeyReference key, Instant deletedOn, Instant scheduledPurge, int versions) {
  /**
   * Validates.
   *
   * @param key the key (versionless)
   * @param deletedOn when it was deleted
   * @param scheduledPurge when its retention ends
   * @param versions how many versions it has
   * @throws NullPointerException if a reference argument is null
   * @throws IllegalArgumentException if {@code key} is versioned or {@code versions} is not
   *     positive
   */
  public DeletedKey {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(deletedOn, "deletedOn");
    Objects.requireNonNull(scheduledPurge, "scheduledPurge");
    if (key.isVersioned()) {
      throw new IllegalArgumentException("key must be versionless");
    }
    if (versions < 1) {
      throw new IllegalArgumentException("versions must be positive");
    }
  }
}
