package dev.cmk.keystore;

import dev.cmk.api.KeyReference;
import java.time.Instant;
import java.util.Objects;

/**
 * A soft-deleted key of a {@link KeystoreKeyProvider}: recoverable until {@code scheduledPurge}.
 *
 * @param key the key (versionless)
 * @param deletedOn when it was deleted
 * @param scheduledPurge when its retention ends; after that it is gone and may be purged even with
 *     purge protection on
 * @param versions how many versions it has
 */
public record DeletedKey(KeyReference key, Instant deletedOn, Instant scheduledPurge, int versions) {
  /** Validates. */
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
