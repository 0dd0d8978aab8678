package dev.cmk.examples.dicom;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Writes a {@code multipart/related} body (RFC 2046 §5.1, RFC 2387): each part's headers, then its
 * body written by the caller, then the closing delimiter. The boundary is random (128 bits), so
 * no stored instance can contain it by accident or design.
 *
 * <p><b>Thread safety:</b> not thread-safe; one response.
 */
final class MultipartWriter {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final OutputStream out;
  private final String boundary;
  private boolean first = true;

  MultipartWriter(OutputStream out) {
    this.out = out;
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    this.boundary = "cmk-" + HexFormat.of().formatHex(b);
  }

  /** The boundary, for the response's {@code Content-Type}. */
  String boundary() {
    return boundary;
  }

  /** The response's {@code Content-Type} for parts of type {@code type}. */
  String contentType(String type) {
    return "multipart/related; type=\"" + type + "\"; boundary=" + boundary;
  }

  /**
   * Starts a part; its body follows on {@link #body()}.
   *
   * @param contentType the part's {@code Content-Type}
   * @throws IOException if writing fails
   */
  void part(String contentType) throws IOException {
    String head = (first ? "" : "\r\n") + "--" + boundary + "\r\nContent-Type: " + contentType
        + "\r\n\r\n";
    first = false;
    out.write(head.getBytes(StandardCharsets.US_ASCII));
  }

  /** Where a part's body is written. */
  OutputStream body() {
    return out;
  }

  /**
   * Writes the closing delimiter (also for zero parts) and flushes.
   *
   * @throws IOException if writing fails
   */
  void finish() throws IOException {
    out.write(((first ? "" : "\r\n") + "--" + boundary + "--\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }
}
