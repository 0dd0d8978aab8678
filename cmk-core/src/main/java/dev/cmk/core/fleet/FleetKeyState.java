package dev.cmk.core.fleet;

import dev.cmk.core.KeyAccessState;
import dev.cmk.core.LossCause;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The fleet's view of one configured key: whether the service may use it, since when access has
 * been lost and why, and the refresh generation.
 *
 * <p>Guarantees (checked by the constructor): {@code AVAILABLE} carries no loss start and cause
 * {@link LossCause#NONE}; {@code UNAVAILABLE} and {@code REFRESH_REQUIRED} carry the loss start
 * and a cause other than {@code NONE}; the generation is never negative; {@code recordedBy} is
 * 1–128 printable ASCII characters. The value never holds key material.
 *
 * @param state the fleet's state of the key
 * @param generation the refresh generation: every explicit refresh on any replica records the
 *     next generation, and a replica that sees a newer one refreshes itself
 * @param lostSince when access was first found lost (the grace period counts from here), or
 *     {@code null} while available
 * @param cause why access is lost, {@link LossCause#NONE} while available
 * @param recordedAt when this value was recorded, on the recording replica's clock
 * @param recordedBy the name of the replica that recorded it (for operators; not trusted)
 */
public record FleetKeyState(
    KeyAccessState state,
    long generation,
    @Nullable Instant lostSince,
    LossCause cause,
    Instant recordedAt,
    String recordedBy) {

  /** The longest replica name a store must keep. */
  public static final int MAX_RECORDED_BY = 128;

  /**
   * Checks the invariants above.
   *
   * @param state the fleet's state of the key
   * @param generation the refresh generation, not negative
   * @param lostSince the loss start, {@code null} exactly when available
   * @param cause the cause, {@code NONE} exactly when available
   * @param recordedAt when it was recorded
   * @param recordedBy the recording replica's name
   */
  public FleetKeyState {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(recordedAt, "recordedAt");
    Objects.requireNonNull(recordedBy, "recordedBy");
    if (generation < 0) {
      throw new IllegalArgumentException("generation must not be negative");
    }
    if (state == KeyAccessState.AVAILABLE) {
      if (lostSince != null || cause != LossCause.NONE) {
        throw new IllegalArgumentException("an available key has no loss start or cause");
      }
    } else if (lostSince == null || cause == LossCause.NONE) {
      throw new IllegalArgumentException(state + " needs a loss start and a cause");
    }
    checkReplicaName(recordedBy);
  }

  /**
   * Checks a replica name: 1–128 printable ASCII characters.
   *
   * @param name the name
   * @return {@code name}
   * @throws IllegalArgumentException if it is not such a name
   */
  public static String checkReplicaName(String name) {
    if (name.isEmpty() || name.length() > MAX_RECORDED_BY
        || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "a replica name must be 1-" + MAX_RECORDED_BY + " printable ASCII characters");
    }
    return name;
  }

  /**
   * The key is available at {@code generation}.
   *
   * @param generation the refresh generation
   * @param now when it is recorded
   * @param by the recording replica's name
   * @return the value
   */
  public static FleetKeyState available(long generation, Instant now, String by) {
    return new FleetKeyState(KeyAccessState.AVAILABLE, generation, null, LossCause.NONE, now, by);
  }

  /**
   * Access has been lost since {@code lostSince}.
   *
   * @param generation the refresh generation
   * @param lostSince when access was first found lost
   * @param cause why
   * @param now when it is recorded
   * @param by the recording replica's name
   * @return the value
   */
  public static FleetKeyState unavailable(long generation, Instant lostSince, LossCause cause,
      Instant now, String by) {
    return new FleetKeyState(KeyAccessState.UNAVAILABLE, generation, lostSince, cause, now, by);
  }

  /**
   * The grace period of this loss ended with access still lost: refresh required.
   *
   * @param now when it is recorded
   * @param by the recording replica's name
   * @return the value, same generation, loss start and cause
   */
  public FleetKeyState refreshRequired(Instant now, String by) {
    if (state == KeyAccessState.AVAILABLE) {
      throw new IllegalStateException("an available key cannot require a refresh");
    }
    return new FleetKeyState(KeyAccessState.REFRESH_REQUIRED, generation, lostSince, cause, now,
        by);
  }
}
