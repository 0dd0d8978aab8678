package dev.cmk.examples.dicom;

/**
 * A DICOM stream this store cannot parse: malformed, truncated, beyond one of the parser's bounds,
 * or in an encoding it does not read (big endian, deflated). The only exception {@link
 * DicomParser} throws for bad input; the message names the rule, never attribute values.
 */
final class DicomParseException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which rule the input broke
   */
  DicomParseException(String message) {
    super(message);
  }
}
