package dev.cmk.examples.dicom;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a {@code multipart/related} body (RFC 2046 §5.1) part by part as streams, in constant
 * memory: each part's body ends before the next {@code CRLF--boundary}, found in a 64 KiB window.
 * Part headers are bounded ({@value #MAX_HEADERS} bytes per part).
 *
 * <p><b>Thread safety:</b> not thread-safe; one request.
 */
final class MultipartReader {
  static final int MAX_HEADERS = 16 * 1024;
  static final int MAX_BOUNDARY = 200;
  private final InputStream in;
  private final byte[] delimiter;
  private final byte[] buf = new byte[64 * 1024 + 256];
  private int pos;
  private int lim;
  private boolean eof;
  private boolean started;
  private boolean done;
  private Body current;

  /**
   * A part: its headers (names lower case) and its body.
   *
   * @param headers the part's headers
   * @param body the part's body, ending at the next delimiter
   */
  record Part(Map<String, String> headers, InputStream body) {}

  /**
   * Creates a reader.
   *
   * @param in the whole body
   * @param boundary the boundary parameter: RFC 2046 allows 1-70 characters, but clients send
   *     longer ones (Orthanc's DICOMweb plugin 1.7: 73), so up to {@value #MAX_BOUNDARY} are read
   * @throws IllegalArgumentException if the boundary is empty or longer than that
   */
  MultipartReader(InputStream in, String boundary) {
    if (boundary.isEmpty() || boundary.length() > MAX_BOUNDARY) {
      throw new IllegalArgumentException(
          "the multipart boundary must be 1-" + MAX_BOUNDARY + " characters");
    }
    this.in = in;
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    buf[0] = '\r';
    buf[1] = '\n'; // so that a delimiter at the very start is found like any other
    lim = 2;
  }

  /**
   * The next part; the previous part's unread body is skipped.
   *
   * @return the part, or empty after the closing delimiter
   * @throws IOException if reading fails or the body is not valid multipart
   */
  Optional<Part> next() throws IOException {
    if (done) {
      return Optional.empty();
    }
    if (!started) {
      started = true;
      new Body().transferTo(OutputStream.nullOutputStream()); // the preamble
    } else if (current != null) {
      current.transferTo(OutputStream.nullOutputStream());
    }
    if (!ensure(2)) {
      throw new IOException("multipart body ends after a delimiter");
    }
    if (buf[pos] == '-' && buf[pos + 1] == '-') {
      done = true;
      return Optional.empty();
    }
    String padding = line(); // transport padding after the delimiter
    if (!padding.isBlank()) {
      throw new IOException("invalid multipart delimiter line");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    int total = 0;
    while (true) {
      String h = line();
      total += h.length() + 2;
      if (total > MAX_HEADERS) {
        throw new IOException("multipart part headers longer than " + MAX_HEADERS + " bytes");
      }
      if (h.isEmpty()) {
        break;
      }
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            h.substring(colon + 1).trim());
      }
    }
    current = new Body();
    return Optional.of(new Part(headers, current));
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (!ensure(1)) {
        throw new IOException("multipart body ends inside part headers");
      }
      byte b = buf[pos++];
      if (b == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
        sb.setLength(sb.length() - 1);
        return sb.toString();
      }
      sb.append((char) (b & 0xff));
      if (sb.length() > MAX_HEADERS) {
        throw new IOException("multipart header line too long");
      }
    }
  }

  /** Whether at least {@code n} bytes are buffered (reading more if needed). */
  private boolean ensure(int n) throws IOException {
    while (lim - pos < n && !eof) {
      if (pos > 0) {
        System.arraycopy(buf, pos, buf, 0, lim - pos);
        lim -= pos;
        pos = 0;
      }
      int got = in.read(buf, lim, buf.length - lim);
      if (got < 0) {
        eof = true;
      } else {
        lim += got;
      }
    }
    return lim - pos >= n;
  }

  private int find() {
    outer:
    for (int i = pos; i <= lim - delimiter.length; i++) {
      for (int k = 0; k < delimiter.length; k++) {
        if (buf[i + k] != delimiter[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** One part's body: the bytes before the next delimiter. */
  private final class Body extends InputStream {
    private boolean finished;

    @Override
    public int read() throws IOException {
      return buffered() < 0 ? -1 : buf[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0 && !finished) {
        return 0;
      }
      int available = buffered();
      if (available < 0) {
        return -1;
      }
      int n = Math.min(len, available);
      System.arraycopy(buf, pos, b, off, n);
      pos += n;
      return n;
    }

    /**
     * How many bytes of this body are buffered at {@code pos} (at least one), reading more if
     * needed; -1 once the delimiter is reached (and consumed).
     */
    private int buffered() throws IOException {
      if (finished) {
        return -1;
      }
      while (true) {
        ensure(delimiter.length + 2);
        int at = find();
        if (at == pos) {
          pos += delimiter.length;
          finished = true;
          return -1;
        }
        int available = at >= 0 ? at - pos : lim - pos - (delimiter.length - 1);
        if (available > 0) {
          return available;
        }
        if (eof) {
          throw new IOException("multipart body ends without its closing delimiter");
        }
        ensure(lim - pos + 1);
      }
    }
  }
}
