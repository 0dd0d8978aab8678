package dev.cmk.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The key exists but may not be used: disabled, outside its validity window, operation not
 * permitted on the key, or the identity lacks permission (or is itself disabled). Authoritative:
 * the customer must change something.
 */
public final class KeyAccessDeniedException extends KeyProviderException {
  private static final long serialVersionUID = 1L;

  /** Why access was denied, as far as the provider can tell. */
  public enum Reason {
    /** The key (version) is disabled. */
    KEY_DISABLED,
    /** The key is before its not-before time or after its expiry. */
    KEY_NOT_VALID_NOW,
    /** The key does not permit the requested operation (e.g. unwrapKey). */
    OPERATION_NOT_PERMITTED,
    /** The identity used to reach the key lacks permission, or is disabled / unauthenticated. */
    IDENTITY_NOT_AUTHORIZED,
    /** The provider did not say more. */
    UNSPECIFIED
  }

  /** The classified reason (serialized). */
  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param message why, without secrets
   * @param reason classified reason
   * @param keyReference the key, or {@code null} when unknown
   * @param cause vendor exception, or {@code null}
   */
  public KeyAccessDeniedException(
      String message, Reason reason, @Nullable KeyReference keyReference, @Nullable Throwable cause) {
    super(describe(message, keyReference), keyReference, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Creates the exception.
   *
   * @param message why, without secrets
   * @param reason classified reason
   * @param keyReference the key, or {@code null} when unknown
   */
  public KeyAccessDeniedException(String message, Reason reason, @Nullable KeyReference keyReference) {
    this(message, reason, keyReference, null);
  }

  /** {@return the classified reason} */
  public Reason reason() {
    return reason;
  }

  @Override
  public boolean isAuthoritative() {
    return true;
  }
}
