package dev.cmk.api;

import java.util.regex.Pattern;

/** Rules for provider ids, which are written into envelopes. */
public final class ProviderIds {
  /** Longest provider id. */
  public static final int MAX_LENGTH = 32;

  private static final Pattern ID = Pattern.compile("[a-z][a-z0-9.-]{0,31}");

  private ProviderIds() {}

  /**
   * Checks a provider id: 1&ndash;32 characters of {@code [a-z0-9.-]}, starting with a letter.
   *
   * @param id the id
   * @return the id
   * @throws IllegalArgumentException if it breaks the rule
   */
  public static String check(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "provider id must be 1-32 characters of [a-z0-9.-] starting with a letter");
    }
    return id;
  }
}
