package dev.cmk.core.fleet;

import dev.cmk.api.CmkException;
import org.jspecify.annotations.Nullable;

/**
 * The shared key-access state could not be read or written (database or storage account down,
 * timed out, refused). The guard never takes this as news about the key: a replica keeps its own
 * view, retries at the next probe interval, and never leaves "refresh required" because of it.
 * Messages carry no secrets (no connection strings, no credentials).
 */
public final class FleetStateUnavailableException extends CmkException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, without secrets
   * @param cause the store's own failure, or {@code null}
   */
  public FleetStateUnavailableException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
