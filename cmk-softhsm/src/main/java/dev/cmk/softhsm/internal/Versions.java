package dev.cmk.softhsm.internal;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key versions as stored in {@code CKA_ID}: the ASCII bytes of the version string.
 *
 * <p>Versions this module creates are {@code v} followed by a decimal number of at least four
 * digits ({@code v0001}, {@code v0002}, &hellip; {@code v10000}). Versions are ordered by that
 * number, not by text, so {@code v10000} is newer than {@code v9999}. A {@code CKA_ID} made by
 * another tool is listed when it is a valid key-reference version (1&ndash;64 of {@code
 * [0-9a-zA-Z._-]}) and counts as older than every numbered version; among themselves such versions
 * are ordered by text. Other {@code CKA_ID} values (binary ids) are ignored.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class Versions {
  private static final Pattern VALID = Pattern.compile("[0-9a-zA-Z._-]{1,64}");
  private static final Pattern NUMBERED = Pattern.compile("v([0-9]{1,18})");

  /** Orders versions oldest first. */
  public static final Comparator<String> OLDEST_FIRST = Versions::compare;

  private Versions() {}

  /** The version string of number {@code n}: {@code v0001} for 1. */
  public static String format(long n) {
    if (n < 1) {
      throw new IllegalArgumentException("version number must be positive");
    }
    return String.format(Locale.ROOT, "v%04d", n);
  }

  /** The first version of a new key. */
  public static String first() {
    return format(1);
  }

  /** The version after the newest numbered one in {@code existing} ({@code v0001} if none). */
  public static String next(Collection<String> existing) {
    long max = 0;
    for (String v : existing) {
      max = Math.max(max, number(v));
    }
    if (max >= 999_999_999_999_999_999L) {
      throw new IllegalStateException("key version numbers exhausted");
    }
    return format(max + 1);
  }

  /** The {@code CKA_ID} bytes of a version. */
  public static byte[] toId(String version) {
    if (!VALID.matcher(version).matches()) {
      throw new IllegalArgumentException("key version must be 1-64 characters of [0-9a-zA-Z._-]");
    }
    return version.getBytes(StandardCharsets.US_ASCII);
  }

  /** The version a {@code CKA_ID} holds, if it is a valid version string. */
  public static Optional<String> fromId(byte[] id) {
    if (id == null || id.length == 0 || id.length > 64) {
      return Optional.empty();
    }
    for (byte b : id) {
      if (b < 0x21 || b > 0x7e) {
        return Optional.empty();
      }
    }
    String s = new String(id, StandardCharsets.US_ASCII);
    return VALID.matcher(s).matches() ? Optional.of(s) : Optional.empty();
  }

  /** The number of a numbered version, or 0 for any other. */
  static long number(String version) {
    Matcher m = NUMBERED.matcher(version);
    return m.matches() ? Long.parseLong(m.group(1)) : 0;
  }

  private static int compare(String a, String b) {
    long na = number(a);
    long nb = number(b);
    if (na != nb) {
      return Long.compare(na, nb);
    }
    return a.compareTo(b);
  }
}
