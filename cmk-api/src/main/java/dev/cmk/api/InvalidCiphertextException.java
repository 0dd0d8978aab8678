package dev.cmk.api;

/**
 * The envelope could not be authenticated: it is malformed, truncated, extended, tampered with,
 * was encrypted under another data key, or the associated data given to decrypt differs from the
 * one given to encrypt.
 *
 * <p><b>Security guarantee:</b> the message is always {@value #MESSAGE}, whatever went wrong, so
 * that the exception is not an oracle for an attacker probing with modified envelopes. When this
 * is thrown from a decrypting stream, no byte of the failing segment has been released.
 */
public final class InvalidCiphertextException extends CmkException {
  private static final long serialVersionUID = 1L;

  /** The one message every instance carries. */
  public static final String MESSAGE = "invalid ciphertext";

  /** Creates the exception with the uniform message. */
  public InvalidCiphertextException() {
    super(MESSAGE);
  }

  /**
   * Creates the exception with the uniform message and a cause kept for debugging. The cause is
   * never a vendor exception whose message could reveal padding or tag details to a remote
   * caller; servers must not echo causes to clients.
   *
   * @param cause the underlying failure
   */
  public InvalidCiphertextException(Throwable cause) {
    super(MESSAGE, cause);
  }
}
