package dev.cmk.api;

import org.jspecify.annotations.Nullable;

/**
 * The key, the key version or the provider serving it does not exist (deleted, purged, never
 * created, or no configured provider serves the reference). Authoritative.
 */
public final class KeyNotFoundException extends KeyProviderException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was not found, without secrets
   * @param keyReference the key, or {@code null} when unknown
   * @param cause vendor exception, or {@code null}
   */
  public KeyNotFoundException(String message, @Nullable KeyReference keyReference, @Nullable Throwable cause) {
    super(describe(message, keyReference), keyReference, cause);
  }

  /**
   * Creates the exception.
   *
   * @param message what was not found, without secrets
   * @param keyReference the key, or {@code null} when unknown
   */
  public KeyNotFoundException(String message, @Nullable KeyReference keyReference) {
    this(message, keyReference, null);
  }

  @Override
  public boolean isAuthoritative() {
    return true;
  }
}
