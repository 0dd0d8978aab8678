package dev.cmk.core.fleet;

import java.util.Objects;

/**
 * A {@link FleetKeyState} as a store holds it, with the store's revision of it.
 *
 * <p>The revision is opaque (a row version, an ETag): a conditional write names the revision it
 * replaces, and fails if another replica wrote first.
 *
 * @param state the stored state
 * @param revision the store's revision of the record, never empty
 */
public record FleetRecord(FleetKeyState state, String revision) {
  /**
   * Checks that both parts are present.
   *
   * @param state the stored state
   * @param revision the store's revision, not empty
   */
  public FleetRecord {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(revision, "revision");
    if (revision.isEmpty()) {
      throw new IllegalArgumentException("revision must not be empty");
    }
  }
}
