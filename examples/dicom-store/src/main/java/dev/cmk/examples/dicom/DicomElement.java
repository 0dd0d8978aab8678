package dev.cmk.examples.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One data element kept from a dataset: its tag, value representation and either its value bytes
 * (little endian, as stored) or, for a sequence, its items.
 *
 * @param tag group and element, {@code 0xGGGGEEEE}
 * @param vr the two-letter value representation ({@code UN} when unknown in implicit VR)
 * @param value the value bytes (empty for a sequence)
 * @param items a sequence's items (empty otherwise)
 */
record DicomElement(int tag, String vr, byte[] value, List<List<DicomElement>> items) {

  /** Copies. */
  DicomElement {
    value = value.clone();
    items = List.copyOf(items.stream().map(List::copyOf).toList());
  }

  /**
   * A text element made by the store (a response attribute), its value in UTF-8.
   *
   * @param tag the tag
   * @param vr the value representation
   * @param value the text
   * @return the element
   */
  static DicomElement ofText(int tag, String vr, String value) {
    return new DicomElement(tag, vr, value.getBytes(StandardCharsets.UTF_8), List.of());
  }

  /**
   * A {@code US} element made by the store (a response attribute).
   *
   * @param tag the tag
   * @param value the unsigned 16-bit value
   * @return the element
   */
  static DicomElement ofUs(int tag, int value) {
    byte[] b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value)
        .array();
    return new DicomElement(tag, "US", b, List.of());
  }

  @Override
  public byte[] value() {
    return value.clone();
  }

  /** Whether this element is a sequence. */
  boolean isSequence() {
    return vr.equals("SQ");
  }

  /** The value as text, trailing padding (space, NUL) removed. */
  String text() {
    String s = new String(value, vr.equals("UI") || vr.equals("CS") || vr.equals("DA")
        ? StandardCharsets.US_ASCII : StandardCharsets.UTF_8);
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == 0)) {
      end--;
    }
    int start = 0;
    while (start < end && s.charAt(start) == ' ' && !vr.equals("LT") && !vr.equals("UT")
        && !vr.equals("ST")) {
      start++;
    }
    return s.substring(start, end);
  }

  /** The first value of a US/UL/SS/SL or IS element as an integer, or -1. */
  long intValue() {
    ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
    switch (vr) {
      case "US":
        return value.length >= 2 ? b.getShort() & 0xffff : -1;
      case "UL":
        return value.length >= 4 ? b.getInt() & 0xffffffffL : -1;
      case "SS":
        return value.length >= 2 ? b.getShort() : -1;
      case "SL":
        return value.length >= 4 ? b.getInt() : -1;
      case "IS":
      case "UN":
        try {
          String t = text();
          int bs = t.indexOf('\\');
          return Long.parseLong((bs < 0 ? t : t.substring(0, bs)).trim());
        } catch (NumberFormatException e) {
          return -1;
        }
      default:
        return -1;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DicomElement e && e.tag == tag && e.vr.equals(vr)
        && Arrays.equals(e.value, value) && e.items.equals(items);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * tag + vr.hashCode()) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return String.format("(%04X,%04X) %s", tag >>> 16, tag & 0xffff, vr); // no value: may be PHI
  }
}
