package dev.cmk.api;

/** Rules for provider ids, which are written into envelopes. */
public final class ProviderIds {
  /** Longest provider id. */
  public static final int MAX_LENGTH = 32;

  private ProviderIds() {}

  // A loop rather than a regular expression: this runs on every envelope header parsed.
  private static boolean valid(String id) {
    int n = id.length();
    if (n < 1 || n > MAX_LENGTH) {
      return false;
    }
    char first = id.charAt(0);
    if (first < 'a' || first > 'z') {
      return false;
    }
    for (int i = 1; i < n; i++) {
      char c = id.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks a provider id: 1&ndash;32 characters of {@code [a-z0-9.-]}, starting with a letter.
   *
   * @param id the id
   * @return the id
   * @throws IllegalArgumentException if it breaks the rule
   */
  public static String check(String id) {
    if (id == null || !valid(id)) {
      throw new IllegalArgumentException(
          "provider id must be 1-32 characters of [a-z0-9.-] starting with a letter");
    }
    return id;
  }
}
