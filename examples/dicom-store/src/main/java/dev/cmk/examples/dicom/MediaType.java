package dev.cmk.examples.dicom;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A parsed media type ({@code type/subtype; name=value; ...}), names lower-cased, quoted values
 * unquoted (their quoted-pairs, such as {@code \"} and {@code \\}, resolved); of a parameter given
 * twice, the first counts.
 *
 * @param type {@code type/subtype}, lower case
 * @param parameters the parameters by lower-case name
 */
record MediaType(String type, Map<String, String> parameters) {
  /** A backslash and the character it makes literal, in a quoted string. */
  private static final Pattern QUOTED_PAIR = Pattern.compile("\\\\(.)", Pattern.DOTALL);

  /** Copies. */
  MediaType {
    parameters = Map.copyOf(parameters);
  }

  /** A parameter's value, or {@code ""}. */
  String parameter(String name) {
    return parameters.getOrDefault(name, "");
  }

  /** Parses one media type; a missing or empty header gives {@code ""} as type. */
  static MediaType parse(String header) {
    if (header == null) {
      return new MediaType("", Map.of());
    }
    List<String> parts = split(header, ';');
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 1; i < parts.size(); i++) {
      String p = parts.get(i);
      int eq = p.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String value = p.substring(eq + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = QUOTED_PAIR.matcher(value.substring(1, value.length() - 1)).replaceAll("$1");
      }
      params.putIfAbsent(p.substring(0, eq).trim().toLowerCase(Locale.ROOT), value);
    }
    return new MediaType(parts.isEmpty() ? "" : parts.get(0).trim().toLowerCase(Locale.ROOT),
        params);
  }

  /** The media ranges of an {@code Accept} header (empty when absent). */
  static List<MediaType> accept(List<String> headers) {
    List<MediaType> out = new ArrayList<>();
    for (String h : headers) {
      for (String range : split(h, ',')) {
        if (!range.isBlank()) {
          out.add(parse(range));
        }
      }
    }
    return out;
  }

  /**
   * Splits on {@code sep} outside quoted strings; inside one, a backslash escapes the next
   * character (a quoted-pair, RFC 9110 §5.6.4), so {@code \"} does not end the string.
   */
  private static List<String> split(String s, char sep) {
    List<String> out = new ArrayList<>();
    int start = 0;
    boolean quoted = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted && c == '\\') {
        i++; // the escaped character is literal
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == sep && !quoted) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }
}
