package dev.cmk.softhsm.internal;

import dev.cmk.api.KeyReference;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Builds the canonical RFC 7512 references of this module: {@code
 * pkcs11:token=<label>;object=<name>[;id=<version>]}.
 */
public final class References {
  private References() {}

  /**
   * The reference of key {@code name} (version {@code version}, the canonical text of a {@code
   * CKA_ID} as {@link Versions} makes it, or versionless when {@code null}) on the token labelled
   * {@code tokenLabel}.
   *
   * @throws IllegalArgumentException if the name or version breaks {@link KeyReference}'s rules
   */
  public static KeyReference of(String tokenLabel, String name, String version) {
    Objects.requireNonNull(tokenLabel, "tokenLabel");
    Objects.requireNonNull(name, "name");
    StringBuilder sb = new StringBuilder("pkcs11:token=").append(percentEncode(tokenLabel));
    sb.append(";object=").append(percentEncode(name));
    KeyReference key = KeyReference.parse(sb.toString());
    // A version is the id's canonical RFC 7512 text already (%XX for binary bytes).
    return version == null ? key : key.withVersion(version);
  }

  /** Percent-encodes everything but RFC 3986 unreserved characters. */
  static String percentEncode(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean unreserved =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '.'
              || c == '_'
              || c == '~';
      if (unreserved) {
        sb.append((char) c);
      } else {
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }
}
