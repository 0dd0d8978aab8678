package dev.cmk.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The customer-managed key is not accessible and the loss-of-access guard is open, so the
 * operation was refused without calling the provider. Servers map this to HTTP 500 ("the
 * customer-managed key is not accessible"). Nothing was written or released.
 *
 * <p>When {@link #refreshRequired()} is true the grace window has passed: access coming back is no
 * longer enough, the application must call {@code refresh()} on the guard.
 */
public final class KeyAccessSuspendedException extends CmkException {
  private static final long serialVersionUID = 1L;

  /** Whether recovery needs an explicit refresh (serialized). */
  private final boolean refreshRequired;

  /** When access was lost, or {@code null} (serialized). */
  private final @Nullable Instant since;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, without secrets (names the key and the classified cause)
   * @param refreshRequired whether an explicit refresh is needed to recover
   * @param since when access was lost, or {@code null}
   * @param cause the provider failure that opened the guard, or {@code null}
   */
  public KeyAccessSuspendedException(
      String message, boolean refreshRequired, @Nullable Instant since, @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.refreshRequired = refreshRequired;
    this.since = since;
  }

  /** {@return whether recovery needs an explicit refresh (grace window over)} */
  public boolean refreshRequired() {
    return refreshRequired;
  }

  /** {@return when access was lost, when known} */
  public Optional<Instant> since() {
    return Optional.ofNullable(since);
  }
}
