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
    TOO_LARGE,
    /** STOW-RS: the instance could not be parsed (or lacks its UIDs). */
    INVALID_DICOM,
    /** STOW-RS to a study: the instance belongs to another study. */
    STUDY_MISMATCH,
    /** The file system has no space left (ENOSPC). */
    INSUFFICIENT_STORAGE
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
