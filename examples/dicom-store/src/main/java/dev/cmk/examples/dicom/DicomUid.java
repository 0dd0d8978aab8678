package dev.cmk.examples.dicom;

import java.util.Objects;

/**
 * The DICOM unique identifier syntax (PS3.5 section 9.1): 1&ndash;64 characters, components of
 * ASCII digits separated by single dots, no component empty, no component with a leading zero
 * (except the component {@code 0} itself).
 *
 * <p><b>Security:</b> a valid UID contains only {@code [0-9.]}, never starts with a dot and never
 * has two dots in a row, so it can be used as a file name component without any path traversal
 * ({@code .}, {@code ..}, separators, drive letters) being possible.
 */
final class DicomUid {
  /** Longest UID. */
  static final int MAX_LENGTH = 64;

  private DicomUid() {}

  /**
   * Whether {@code uid} is a syntactically valid DICOM UID.
   *
   * @param uid the text, may be null
   * @return whether it is valid
   */
  static boolean isValid(String uid) {
    if (uid == null || uid.isEmpty() || uid.length() > MAX_LENGTH) {
      return false;
    }
    int componentStart = 0;
    for (int i = 0; i <= uid.length(); i++) {
      if (i == uid.length() || uid.charAt(i) == '.') {
        int componentLength = i - componentStart;
        if (componentLength == 0) {
          return false;
        }
        if (componentLength > 1 && uid.charAt(componentStart) == '0') {
          return false;
        }
        componentStart = i + 1;
      } else {
        char c = uid.charAt(i);
        if (c < '0' || c > '9') {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Checks a UID.
   *
   * @param uid the UID
   * @param name what it is, for the message (e.g. {@code "Study Instance UID"})
   * @return {@code uid}
   * @throws NullPointerException if {@code uid} is null
   * @throws IllegalArgumentException if it is not a valid DICOM UID (the message does not echo it)
   */
  static String check(String uid, String name) {
    Objects.requireNonNull(uid, name);
    if (!isValid(uid)) {
      throw new IllegalArgumentException(
          name
              + " is not a valid DICOM UID (1-64 characters; digit components separated by single"
              + " dots; no leading zeros)");
    }
    return uid;
  }
}
