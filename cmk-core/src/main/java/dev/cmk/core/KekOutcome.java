package dev.cmk.core;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyProviderUnavailableException;
import java.util.Objects;

/**
 * How one call to a key-encryption-key provider ended, as reported to a {@link CryptoObserver}:
 * the provider contract's failure classes (see {@link
 * dev.cmk.api.spi.KeyEncryptionKeyProvider}), plus {@link #ERROR} for anything outside it.
 */
public enum KekOutcome {
  /** The call returned normally. */
  SUCCESS,
  /** {@link KeyAccessDeniedException}: disabled, expired, operation or identity not permitted. */
  DENIED,
  /** {@link KeyNotFoundException}: no such key or version, deleted, or not served. */
  NOT_FOUND,
  /** {@link KeyProviderUnavailableException}: transient (timeout, throttling, 5xx). */
  UNAVAILABLE,
  /** {@link InvalidCiphertextException}: the wrapped bytes do not unwrap under the named key. */
  INVALID_CIPHERTEXT,
  /** Any other exception (a provider outside its contract). */
  ERROR;

  /**
   * Classifies a failure of a provider call.
   *
   * @param failure what the call threw
   * @return its outcome; never {@link #SUCCESS}
   */
  public static KekOutcome of(Throwable failure) {
    Objects.requireNonNull(failure, "failure");
    if (failure instanceof KeyAccessDeniedException) {
      return DENIED;
    }
    if (failure instanceof KeyNotFoundException) {
      return NOT_FOUND;
    }
    if (failure instanceof KeyProviderUnavailableException) {
      return UNAVAILABLE;
    }
    if (failure instanceof InvalidCiphertextException) {
      return INVALID_CIPHERTEXT;
    }
    return ERROR;
  }
}
