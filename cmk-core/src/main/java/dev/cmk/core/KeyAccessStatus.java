package dev.cmk.core;

import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of the loss-of-access guard, for status endpoints and dashboards. Holds no secrets.
 *
 * <p>A value that may be absent is a {@code null} component, marked {@code @Nullable}.
 *
 * @param state see {@link #state()}
 * @param since when the current state began
 * @param cause why access was lost ({@link LossCause#NONE} when available)
 * @param lastError the last provider error message (no secrets), or {@code null} when this
 *     replica has seen none since the key was last confirmed usable
 * @param graceRemaining time left before an explicit refresh is required; zero unless
 *     unavailable
 * @param configuredKey the key as configured (versioned or versionless), or {@code null} for a
 *     decrypt-only instance
 * @param currentVersion the version new writes use, or {@code null} if none confirmed yet
 * @param lastConfirmed when the key's enabled state was last confirmed, or {@code null}
 */
public record KeyAccessStatus(
    KeyAccessState state,
    Instant since,
    LossCause cause,
    @Nullable String lastError,
    Duration graceRemaining,
    @Nullable KeyReference configuredKey,
    @Nullable KeyReference currentVersion,
    @Nullable Instant lastConfirmed) {

  /**
   * Validates.
   *
   * @param cause the classified cause
   * @param configuredKey see {@link #configuredKey()}
   * @param currentVersion see {@link #currentVersion()}
   * @param graceRemaining see {@link #graceRemaining()}
   * @param lastConfirmed see {@link #lastConfirmed()}
   * @param lastError see {@link #lastError()}
   * @param since see {@link #since()}
   * @param state see {@link #state()}
   */
  public KeyAccessStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(graceRemaining, "graceRemaining");
  }

}
