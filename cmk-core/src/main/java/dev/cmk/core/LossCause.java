package dev.cmk.core;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyProviderException;

/** Why the customer-managed key is not accessible, classified. */
public enum LossCause {
  /** Nothing is wrong. */
  NONE(false),
  /** The key (version) is disabled. */
  KEY_DISABLED(true),
  /** The key or version does not exist (deleted, purged). */
  KEY_NOT_FOUND(true),
  /** The key is outside its not-before / expiry window. */
  KEY_NOT_VALID(true),
  /** The key does not permit wrapKey/unwrapKey. */
  OPERATION_NOT_PERMITTED(true),
  /** The identity used to reach the key lacks permission or is disabled. */
  IDENTITY_NOT_AUTHORIZED(true),
  /** Access denied, reason unspecified by the provider. */
  ACCESS_DENIED(true),
  /** The key no longer meets the key policy. */
  POLICY_VIOLATION(true),
  /** Timeouts, throttling, 5xx, lost sessions that persisted past the trip threshold. */
  PROVIDER_UNAVAILABLE(false),
  /**
   * The instance started with a shared key-access state store it could not read yet, so it does
   * not know whether the fleet requires a refresh: it refuses requests until the store answers.
   * Never recorded in the store.
   */
  FLEET_STATE_UNKNOWN(false);

  private final boolean authoritative;

  LossCause(boolean authoritative) {
    this.authoritative = authoritative;
  }

  /** {@return whether the cause is the customer's (or the vault's) decision rather than an outage} */
  public boolean isAuthoritative() {
    return authoritative;
  }

  /**
   * Classifies a provider failure ({@link #POLICY_VIOLATION} when its cause is a {@link
   * KeyPolicyViolationException}, as the guard's confirmation reports a key that broke the
   * policy).
   *
   * @param e the provider failure
   * @return the classified cause
   */
  public static LossCause of(KeyProviderException e) {
    if (e.getCause() instanceof KeyPolicyViolationException) {
      return POLICY_VIOLATION;
    }
    if (e instanceof KeyNotFoundException) {
      return KEY_NOT_FOUND;
    }
    if (e instanceof KeyAccessDeniedException) {
      switch (((KeyAccessDeniedException) e).reason()) {
        case KEY_DISABLED:
          return KEY_DISABLED;
        case KEY_NOT_VALID_NOW:
          return KEY_NOT_VALID;
        case OPERATION_NOT_PERMITTED:
          return OPERATION_NOT_PERMITTED;
        case IDENTITY_NOT_AUTHORIZED:
          return IDENTITY_NOT_AUTHORIZED;
        default:
          return ACCESS_DENIED;
      }
    }
    return PROVIDER_UNAVAILABLE;
  }
}
