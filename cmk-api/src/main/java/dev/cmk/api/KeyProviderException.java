package dev.cmk.api;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The key-encryption key could not be used. Subtypes classify the failure the way the
 * loss-of-access guard needs it:
 *
 * <ul>
 *   <li>{@link KeyNotFoundException} and {@link KeyAccessDeniedException} are <em>authoritative</em>:
 *       the customer (or the vault) said no; retrying will not help until they change something.
 *   <li>{@link KeyProviderUnavailableException} is <em>transient</em>: timeouts, throttling, 5xx,
 *       lost HSM sessions. Retrying with backoff may help.
 * </ul>
 *
 * <p>The key reference is carried (it is not secret); the vendor exception is only ever the cause.
 */
public abstract class KeyProviderException extends CmkException {
  private static final long serialVersionUID = 1L;

  private final transient @Nullable KeyReference keyReference;

  /**
   * Creates the exception.
   *
   * @param message what failed, without secrets
   * @param keyReference the key the operation was about, or {@code null} when unknown
   * @param cause vendor exception, or {@code null}
   */
  protected KeyProviderException(String message, @Nullable KeyReference keyReference, @Nullable Throwable cause) {
    super(message, cause);
    this.keyReference = keyReference;
  }

  /** {@return the key the failed operation was about, when known} */
  public Optional<KeyReference> keyReference() {
    return Optional.ofNullable(keyReference);
  }

  /** {@return whether the failure is authoritative (not found, denied) rather than transient} */
  public abstract boolean isAuthoritative();

  static String describe(String message, KeyReference ref) {
    Objects.requireNonNull(message, "message");
    return ref == null ? message : message + " (key " + ref + ")";
  }
}
