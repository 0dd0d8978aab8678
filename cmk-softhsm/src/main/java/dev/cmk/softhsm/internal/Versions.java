package dev.cmk.softhsm.internal;

import java.io.ByteArrayOutputStream;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key versions as stored in {@code CKA_ID}: a version is the RFC 7512 canonical text of the id's
 * bytes ({@code [0-9a-zA-Z._-]} as themselves, every other byte {@code %XX}), as {@link
 * dev.cmk.api.KeyReference#version()} holds it; so the versions this module writes are the ASCII
 * bytes of their text, and a binary id made by another tool ({@code pkcs11-tool --id 0102}) is
 * version {@code %01%02}.
 *
 * <p>Versions this module creates are {@code v}, a decimal number of at least four digits, {@code
 * -} and 16 random lowercase hexadecimal digits ({@code v0001-3f0c9a1e77b2d405}, {@code
 * v0002-&hellip;}, &hellip; {@code v10000-&hellip;}). The number orders versions; the random part
 * (64 bits) makes every id new, so that the id of a deleted version (or of a deleted key's
 * versions) is never issued again even when its number is, and two processes rotating at once
 * make two distinct versions. Versions made before the random part was added ({@code v0001},
 * {@code v0002}, &hellip;) are read and ordered the same way. Versions are ordered by number, not
 * by text, so {@code v10000-&hellip;} is newer than {@code v9999-&hellip;}; equal numbers are
 * ordered by text. A {@code CKA_ID} made by another tool (any 1&ndash;64 bytes, text or binary)
 * counts as older than every numbered version; among themselves such versions are ordered by their
 * text. Longer or empty ids cannot be named by a key reference and are not listed.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class Versions {
  private static final Pattern VALID = Pattern.compile("(?:[0-9a-zA-Z._-]|%[0-9A-F]{2}){1,64}");
  private static final int MAX_ID_BYTES = 64;
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

  /**
   * Whether {@code version} is the canonical text of a 1&ndash;64 byte {@code CKA_ID} (see {@link
   * #toId}); every version of a PKCS#11 key reference is.
   */
  public static boolean isValid(String version) {
    return VALID.matcher(version).matches() && fromId(decode(version)).orElse("").equals(version);
  }

  /** The {@code CKA_ID} bytes of a version: its text with every {@code %XX} decoded. */
  public static byte[] toId(String version) {
    if (!isValid(version)) {
      throw new IllegalArgumentException(
          "key version must be the canonical RFC 7512 text of a 1-64 byte CKA_ID");
    }
    return decode(version);
  }

  private static byte[] decode(String version) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(version.length());
    for (int i = 0; i < version.length(); i++) {
      char c = version.charAt(i);
      if (c == '%') {
        out.write(Integer.parseInt(version.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  /** The version a {@code CKA_ID} holds: its canonical text; empty if it has no or over 64 bytes. */
  public static Optional<String> fromId(byte[] id) {
    if (id == null || id.length == 0 || id.length > MAX_ID_BYTES) {
      return Optional.empty();
    }
    StringBuilder sb = new StringBuilder(id.length);
    for (byte b : id) {
      int c = b & 0xff;
      if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-')) {
        sb.append((char) c);
      } else {
        sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return Optional.of(sb.toString());
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
