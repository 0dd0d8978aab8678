package dev.cmk.examples.dicom;

/**
 * An upload the store refused; nothing was stored. The message is safe to return to the client.
 */
final class StoreRejection extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why the upload was refused. */
  enum Reason {
    /** POST of an instance that already exists. */
    ALREADY_EXISTS,
    /** The body is not a DICOM Part 10 file (no {@code DICM} at offset 128). */
    NOT_DICOM,
    /** The body is larger than the configured maximum. */
    TOO_LARGE
  }

  private final Reason reason;

  StoreRejection(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  Reason reason() {
    return reason;
  }
}
