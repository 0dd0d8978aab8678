package dev.cmk.softhsm.internal;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key versions as stored in {@code CKA_ID}: the ASCII bytes of the version string.
 *
 * <p>Versions this module creates are {@code v}, a decimal number of at least four digits, {@code
 * -} and 16 random lowercase hexadecimal digits ({@code v0001-3f0c9a1e77b2d405}, {@code
 * v0002-&hellip;}, &hellip; {@code v10000-&hellip;}). The number orders versions; the random part
 * (64 bits) makes every id new, so that the id of a deleted version (or of a deleted key's
 * versions) is never issued again even when its number is, and two processes rotating at once
 * make two distinct versions. Versions made before the random part was added ({@code v0001},
 * {@code v0002}, &hellip;) are read and ordered the same way. Versions are ordered by number, not
 * by text, so {@code v10000-&hellip;} is newer than {@code v9999-&hellip;}; equal numbers are
 * ordered by text. A {@code CKA_ID} made by another tool is listed when it is a valid key-reference
 * version (1&ndash;64 of {@code [0-9a-zA-Z._-]}) and counts as older than every numbered version;
 * among themselves such versions are ordered by text. Other {@code CKA_ID} values (binary ids) are
 * ignored.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class Versions {
  private static final Pattern VALID = Pattern.compile("[0-9a-zA-Z._-]{1,64}");
  private static final Pattern NUMBERED = Pattern.compile("v([0-9]{1,18})(?:-[0-9a-f]{16})?");

  /** Orders versions oldest first. */
  public static final Comparator<String> OLDEST_FIRST = Versions::compare;

  private Versions() {}

  /** A new version string of number {@code n}: {@code v0001-} and 16 random hex digits for 1. */
  public static String format(long n, Random random) {
    if (n < 1) {
      throw new IllegalArgumentException("version number must be positive");
    }
    return String.format(Locale.ROOT, "v%04d-%016x", n, random.nextLong());
  }

  /** A new first version of a new key. */
  public static String first(Random random) {
    return format(1, random);
  }

  /** A new version after the newest numbered one in {@code existing} (number 1 if none). */
  public static String next(Collection<String> existing, Random random) {
    long max = 0;
    for (String v : existing) {
      max = Math.max(max, number(v));
    }
    if (max >= 999_999_999_999_999_999L) {
      throw new IllegalStateException("key version numbers exhausted");
    }
    return format(max + 1, random);
  }
  /** Whether {@code version} can be a {@code CKA_ID} of this module (see {@link #toId}). */
  public static boolean isValid(String version) {
    return VALID.matcher(version).matches();
  }

  /** The {@code CKA_ID} bytes of a version. */
  public static byte[] toId(String version) {
    if (!isValid(version)) {
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
