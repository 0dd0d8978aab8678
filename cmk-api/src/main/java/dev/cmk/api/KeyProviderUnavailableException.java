package dev.cmk.api;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The provider could not be reached or asked us to slow down: timeout, connection failure, HTTP
 * 5xx, throttling (429), lost HSM session. Transient and retryable; {@link #retryAfter()} carries
 * the provider's hint when it gave one.
 */
public final class KeyProviderUnavailableException extends KeyProviderException {
  private static final long serialVersionUID = 1L;

  /** The provider's back-off hint, or {@code null} (serialized). */
  private final @Nullable Duration retryAfter;

  /**
   * Creates the exception.
   *
   * @param message what failed, without secrets
   * @param keyReference the key, or {@code null} when unknown
   * @param retryAfter the provider's back-off hint, or {@code null}
   * @param cause vendor exception, or {@code null}
   */
  public KeyProviderUnavailableException(
      String message,
      @Nullable KeyReference keyReference,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(describe(message, keyReference), keyReference, cause);
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative");
    }
    this.retryAfter = retryAfter;
  }

  /**
   * Creates the exception.
   *
   * @param message what failed, without secrets
   * @param keyReference the key, or {@code null} when unknown
   * @param cause vendor exception, or {@code null}
   */
  public KeyProviderUnavailableException(
      String message, @Nullable KeyReference keyReference, @Nullable Throwable cause) {
    this(message, keyReference, null, cause);
  }

  /** {@return the provider's hint for when to retry, when it gave one} */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  @Override
  public boolean isAuthoritative() {
    return false;
  }
}
