package dev.cmk.api;

/**
 * The input carries the cmk magic bytes but a format version, algorithm suite or wrap algorithm
 * that this build does not support, typically because it was written by a newer cmk. Upgrading
 * cmk is the fix; the data is not necessarily corrupt.
 */
public final class UnsupportedFormatException extends CmkException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is not supported, e.g. {@code "envelope format version 7 is not
   *     supported (this build reads 1)"}
   */
  public UnsupportedFormatException(String message) {
    super(message);
  }
}
