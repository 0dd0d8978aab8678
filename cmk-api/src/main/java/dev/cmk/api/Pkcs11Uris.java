package dev.cmk.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The PKCS#11 form of {@link KeyReference} (RFC 7512): {@code
 * pkcs11:token=...;object=...[;id=...]}. Parsing, percent-encoding, the label, token and id rules,
 * and the canonical form.
 */
final class Pkcs11Uris {
  private static final Pattern ID_TEXT = Pattern.compile("(?:[0-9a-zA-Z._-]|%[0-9a-fA-F]{2})+");
  private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[a-z][a-z0-9-]*");
  private static final int MAX_LABEL = 127;
  private static final int MAX_TOKEN_LABEL = 32;
  private static final int MAX_ID_BYTES = 64;

  private Pkcs11Uris() {}

  /** Parses what follows {@code pkcs11:}. */
  static KeyReference parse(String rest) {
    int q = rest.indexOf('?');
    String path = q < 0 ? rest : rest.substring(0, q);
    if (q >= 0 && q < rest.length() - 1) {
      refuseQuery(rest.substring(q + 1));
    }
    if (path.isEmpty()) {
      throw new IllegalArgumentException("PKCS#11 URI has no path attributes");
    }
    Map<String, String> attrs = new TreeMap<>();
    for (String attr : path.split(";", -1)) {
      int eq = attr.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "PKCS#11 URI path attribute must be name=value (RFC 7512)");
      }
      String an = attr.substring(0, eq).toLowerCase(Locale.ROOT);
      String raw = attr.substring(eq + 1);
      String av = an.equals("id") ? canonicalId(percentDecode(raw)) : decodeUtf8(raw);
      if (!ATTRIBUTE_NAME.matcher(an).matches()) {
        throw new IllegalArgumentException("PKCS#11 URI attribute name is not valid");
      }
      if (an.equals("pin-value")) {
        throw pinValue();
      }
      if (attrs.put(an, av) != null) {
        throw new IllegalArgumentException("PKCS#11 URI attribute '" + an + "' appears twice");
      }
    }
    String object = attrs.remove("object");
    if (object == null) {
      throw new IllegalArgumentException("PKCS#11 URI must name the key with object=");
    }
    String type = attrs.remove("type");
    if (type != null && !type.equals("private") && !type.equals("public")) {
      throw new IllegalArgumentException("PKCS#11 URI type must be private or public for a key");
    }
    String version = attrs.remove("id"); // canonical already
    String token = attrs.remove("token");
    return of(token == null ? "" : token, object, version, Collections.unmodifiableMap(attrs));
  }

  /** Validates the parts and makes the reference; {@code version} is canonical id text. */
  static KeyReference of(
      String token, String object, @Nullable String version, Map<String, String> attributes) {
    checkLabel(object);
    if (token.length() > MAX_TOKEN_LABEL) {
      throw new IllegalArgumentException(
          "PKCS#11 token label is longer than " + MAX_TOKEN_LABEL + " characters");
    }
    return new KeyReference(KeyReference.Kind.PKCS11, token, object, version, attributes);
  }

  private static void refuseQuery(String query) {
    for (String attr : query.split("&", -1)) {
      String an = attr.contains("=") ? attr.substring(0, attr.indexOf('=')) : attr;
      if (an.equalsIgnoreCase("pin-value")) {
        throw pinValue();
      }
    }
    throw new IllegalArgumentException(
        "PKCS#11 URI query attributes are not supported in key references");
  }

  private static IllegalArgumentException pinValue() {
    return new IllegalArgumentException(
        "PKCS#11 URI must not carry pin-value: configure the PIN on the provider");
  }

  /**
   * A version's canonical text, from {@code [0-9a-zA-Z._-]} characters and {@code %XX} bytes.
   */
  static String canonicalVersion(String version) {
    if (!ID_TEXT.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "PKCS#11 key version must be [0-9a-zA-Z._-] characters and %XX bytes (RFC 7512)");
    }
    return canonicalId(percentDecode(version));
  }

  /**
   * The canonical version text of a {@code CKA_ID}: {@code [0-9a-zA-Z._-]} as themselves, every
   * other byte {@code %XX}.
   */
  private static String canonicalId(byte[] id) {
    if (id.length < 1 || id.length > MAX_ID_BYTES) {
      throw new IllegalArgumentException(
          "PKCS#11 id (the key version, CKA_ID) must be 1-" + MAX_ID_BYTES + " bytes");
    }
    return percentEncode(id, false);
  }

  private static void checkLabel(String label) {
    int length = label.codePointCount(0, label.length());
    if (length < 1
        || length > MAX_LABEL
        || label.codePoints().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "PKCS#11 object label (the key name, CKA_LABEL) must be 1-"
              + MAX_LABEL
              + " characters without control characters");
    }
  }

  private static String decodeUtf8(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] bytes = percentDecode(s);
    String decoded = new String(bytes, StandardCharsets.UTF_8);
    if (!Arrays.equals(decoded.getBytes(StandardCharsets.UTF_8), bytes)) {
      throw new IllegalArgumentException("PKCS#11 URI attribute is not valid UTF-8");
    }
    return decoded;
  }

  private static byte[] percentDecode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new IllegalArgumentException("PKCS#11 URI has a truncated percent-encoding");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("PKCS#11 URI has an invalid percent-encoding");
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  /**
   * {@code %XX} (upper case) for every byte but {@code [0-9a-zA-Z._-]}, and {@code ~} when {@code
   * keepTilde} (RFC 3986 unreserved; an id's canonical text encodes it).
   */
  private static String percentEncode(byte[] bytes, boolean keepTilde) {
    StringBuilder sb = new StringBuilder(bytes.length * 3);
    for (byte b : bytes) {
      int c = b & 0xff;
      boolean plain =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '.'
              || c == '_'
              || (keepTilde && c == '~');
      if (plain) {
        sb.append((char) c);
      } else {
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /** The canonical form: token, object, id, then the other attributes in name order. */
  static String render(
      String token, String object, @Nullable String version, Map<String, String> attributes) {
    Map<String, String> all = new LinkedHashMap<>();
    if (!token.isEmpty()) {
      all.put("token", encode(token));
    }
    all.put("object", encode(object));
    if (version != null) {
      all.put("id", version); // canonical percent-encoded form already
    }
    attributes.forEach((name, value) -> all.put(name, encode(value)));
    StringJoiner uri = new StringJoiner(";", "pkcs11:", "");
    all.forEach((name, value) -> uri.add(name + "=" + value));
    return uri.toString();
  }

  private static String encode(String value) {
    return percentEncode(value.getBytes(StandardCharsets.UTF_8), true);
  }
}
