package dev.cmk.core;

import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Outcome of {@link EnvelopeCrypto#rewrapAll}.
 *
 * @param target the key version envelopes were moved to
 * @param total items processed
 * @param rewrapped items whose header was re-wrapped
 * @param alreadyCurrent items already under {@code target} (left untouched)
 * @param failures items that failed (left untouched)
 * @param movedFrom re-wrapped items per previous key version
 * @param elapsed wall time
 */
public record RewrapReport(
    KeyReference target,
    long total,
    long rewrapped,
    long alreadyCurrent,
    List<Failure> failures,
    Map<KeyReference, Long> movedFrom,
    Duration elapsed) {

  /**
   * One failed item.
   *
   * @param id the item's id
   * @param error the exception's class and message (no secrets)
   */
  public record Failure(String id, String error) {}

  /**
   * Validates and copies the collections.
   *
   * @param target the key version envelopes were moved to
   * @param total items processed
   * @param rewrapped items whose header was re-wrapped
   * @param alreadyCurrent items already under {@code target} (left untouched)
   * @param failures items that failed (left untouched)
   * @param movedFrom re-wrapped items per previous key version
   * @param elapsed wall time
   */
  public RewrapReport {
    Objects.requireNonNull(target, "target");
    failures = List.copyOf(failures);
    movedFrom = Map.copyOf(movedFrom);
    Objects.requireNonNull(elapsed, "elapsed");
  }

  /** {@return the number of failed items} */
  public long failed() {
    return failures.size();
  }
}
