package dev.cmk.examples.dicom;

import java.util.Locale;

/**
 * What a GET answers given its {@code Range} and {@code If-Range} headers (RFC 9110 section 14):
 * the whole instance (200), one byte range (206) or nothing (416).
 *
 * <p>Supported: one range of unit {@code bytes} in the forms {@code first-last}, {@code first-} and
 * {@code -suffixLength}. As RFC 9110 allows, a {@code Range} header that is malformed, names another
 * unit, asks for several ranges, or comes with an {@code If-Range} that does not match the current
 * strong ETag is ignored: the whole instance is sent.
 */
sealed interface RangeSelection {

  /** The whole instance: status 200. */
  record Whole() implements RangeSelection {}

  /**
   * One range, both ends inclusive and inside the instance: status 206.
   *
   * @param first first byte offset
   * @param last last byte offset, {@code >= first}
   */
  record Partial(long first, long last) implements RangeSelection {
    /** Validates. */
    public Partial {
      if (first < 0 || last < first) {
        throw new IllegalArgumentException("need 0 <= first <= last");
      }
    }

    /** Number of bytes. */
    long length() {
      return last - first + 1;
    }

    /** The {@code Content-Range} value for an instance of {@code total} bytes. */
    String contentRange(long total) {
      return "bytes " + first + "-" + last + "/" + total;
    }
  }

  /** No byte of the requested range exists: status 416 with {@code Content-Range: bytes *}/len. */
  record Unsatisfiable() implements RangeSelection {}

  /**
   * Decides what to send.
   *
   * @param range the {@code Range} header, or null
   * @param ifRange the {@code If-Range} header, or null
   * @param etag the instance's current strong ETag (quoted)
   * @param length the instance's length in bytes
   * @return the selection
   */
  static RangeSelection of(String range, String ifRange, String etag, long length) {
    if (range == null) {
      return new Whole();
    }
    if (ifRange != null && !ifRange.trim().equals(etag)) {
      // A weak ETag, another ETag or a date (we send no Last-Modified): the representation the
      // client holds may differ, so it gets the whole new one.
      return new Whole();
    }
    String spec = range.trim();
    if (!spec.toLowerCase(Locale.ROOT).startsWith("bytes=")) {
      return new Whole();
    }
    spec = spec.substring("bytes=".length()).trim();
    if (spec.indexOf(',') >= 0) {
      return new Whole();
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Whole();
    }
    String a = spec.substring(0, dash);
    String b = spec.substring(dash + 1);
    if (a.isEmpty()) {
      long suffix = digits(b);
      if (suffix < 0) {
        return new Whole();
      }
      if (suffix == 0 || length == 0) {
        return new Unsatisfiable();
      }
      return new Partial(Math.max(0, length - suffix), length - 1);
    }
    long first = digits(a);
    if (first < 0) {
      return new Whole();
    }
    long last;
    if (b.isEmpty()) {
      last = Long.MAX_VALUE;
    } else {
      last = digits(b);
      if (last < 0 || last < first) {
        return new Whole();
      }
    }
    if (first >= length) {
      return new Unsatisfiable();
    }
    return new Partial(first, Math.min(last, length - 1));
  }

  /**
   * Parses 1 or more ASCII digits, saturating at {@link Long#MAX_VALUE}.
   *
   * @return the value, or -1 if {@code s} is not all digits
   */
  private static long digits(String s) {
    if (s.isEmpty()) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      int d = c - '0';
      v = v > (Long.MAX_VALUE - d) / 10 ? Long.MAX_VALUE : v * 10 + d;
    }
    return v;
  }
}
