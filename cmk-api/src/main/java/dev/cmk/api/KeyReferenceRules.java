package dev.cmk.api;

import java.util.regex.Pattern;

/**
 * The limits every {@link KeyReference} obeys, whatever its scheme: the reference text itself,
 * key names, and the version text of local keys.
 */
final class KeyReferenceRules {
  private static final Pattern KEY_NAME = Pattern.compile("[0-9a-zA-Z-]{1,127}");
  private static final Pattern LOCAL_VERSION = Pattern.compile("[0-9a-zA-Z._-]{1,64}");

  private KeyReferenceRules() {}

  /** Not empty, at most {@link KeyReference#MAX_LENGTH}, printable ASCII without spaces. */
  static void checkText(String reference) {
    if (reference.isEmpty()) {
      throw new IllegalArgumentException("key reference is empty");
    }
    if (reference.length() > KeyReference.MAX_LENGTH) {
      throw new IllegalArgumentException(
          "key reference is longer than " + KeyReference.MAX_LENGTH + " characters");
    }
    for (int i = 0; i < reference.length(); i++) {
      char c = reference.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException(
            "key reference contains whitespace, control or non-ASCII characters");
      }
    }
  }

  /** The canonical form stays parseable: percent-encoding can lengthen a PKCS#11 URI. */
  static void checkCanonicalLength(String canonical) {
    if (canonical.length() > KeyReference.MAX_LENGTH) {
      throw new IllegalArgumentException(
          "key reference is longer than "
              + KeyReference.MAX_LENGTH
              + " characters in canonical form");
    }
  }

  /** Key Vault and local key names: 1-127 of {@code [0-9a-zA-Z-]}. */
  static void checkKeyName(String name) {
    if (!KEY_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("key name must be 1-127 characters of [0-9a-zA-Z-]");
    }
  }

  /** Local versions: 1-64 of {@code [0-9a-zA-Z._-]}. */
  static String checkLocalVersion(String version) {
    if (!LOCAL_VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException("key version must be 1-64 characters of [0-9a-zA-Z._-]");
    }
    return version;
  }
}
