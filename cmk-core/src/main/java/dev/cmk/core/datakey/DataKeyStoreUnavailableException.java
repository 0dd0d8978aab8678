package dev.cmk.core.datakey;

import org.jspecify.annotations.Nullable;
import dev.cmk.api.CmkException;

/**
 * The data-key store could not be read or written (database or storage account down, timed out,
 * refused). Reading an envelope whose record is not cached then fails with this exception; nothing
 * is decrypted and nothing is lost: the record is still in the store. A write that needs a new
 * record fails before anything is encrypted. Messages carry no secrets (no connection strings, no
 * credentials).
 */
public final class DataKeyStoreUnavailableException extends CmkException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, without secrets
   * @param cause the store's own failure, or {@code null}
   */
  public DataKeyStoreUnavailableException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
