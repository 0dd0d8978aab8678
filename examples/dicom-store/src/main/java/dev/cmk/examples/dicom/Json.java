package dev.cmk.examples.dicom;

import java.util.Collection;
import java.util.Map;

/** Writes flat JSON objects of strings, numbers, booleans and nulls (all this server returns). */
final class Json {
  private Json() {}

  /**
   * Renders {@code fields} in iteration order.
   *
   * @param fields names to values ({@link String}, {@link Number}, {@link Boolean}, a {@link
   *     Collection} (an array of its elements' {@code toString()}s) or null; other values are
   *     written with {@code toString()} as strings)
   * @return the JSON text
   */
  static String object(Map<String, ?> fields) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, ?> e : fields.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      string(sb, e.getKey());
      sb.append(':');
      Object v = e.getValue();
      if (v == null) {
        sb.append("null");
      } else if (v instanceof Number || v instanceof Boolean) {
        sb.append(v);
      } else if (v instanceof Collection) {
        sb.append('[');
        boolean firstElement = true;
        for (Object element : (Collection<?>) v) {
          if (!firstElement) {
            sb.append(',');
          }
          firstElement = false;
          string(sb, String.valueOf(element));
        }
        sb.append(']');
      } else {
        string(sb, v.toString());
      }
    }
    return sb.append('}').toString();
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }
}
