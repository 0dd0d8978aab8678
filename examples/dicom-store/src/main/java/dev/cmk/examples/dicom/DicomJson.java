package dev.cmk.examples.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes attributes as the DICOM JSON Model (PS3.18 Annex F): one object per dataset, keyed by
 * the eight hex digits of the tag, with {@code vr} and {@code Value} (strings, numbers, person
 * names, nested datasets) or {@code InlineBinary} (base64).
 */
final class DicomJson {
  private DicomJson() {}

  /** A dataset as a JSON object, attributes in tag order. */
  static String object(List<DicomElement> dataset) {
    StringBuilder sb = new StringBuilder();
    object(sb, dataset);
    return sb.toString();
  }

  /** A JSON array of datasets. */
  static String array(List<? extends List<DicomElement>> datasets) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < datasets.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      object(sb, datasets.get(i));
    }
    return sb.append(']').toString();
  }

  private static void object(StringBuilder sb, List<DicomElement> dataset) {
    Map<Integer, DicomElement> sorted = new TreeMap<>(Integer::compareUnsigned);
    for (DicomElement e : dataset) {
      sorted.putIfAbsent(e.tag(), e);
    }
    sb.append('{');
    boolean first = true;
    for (DicomElement e : sorted.values()) {
      if ((e.tag() >>> 16) == 0x0002 || (e.tag() & 0xffff) == 0) {
        continue; // file meta and group lengths are not part of the JSON model
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append('"').append(DicomDictionary.hex(e.tag())).append("\":{\"vr\":\"")
          .append(e.vr()).append('"');
      value(sb, e);
      sb.append('}');
    }
    sb.append('}');
  }

  private static void value(StringBuilder sb, DicomElement e) {
    if (e.isSequence()) {
      if (!e.items().isEmpty()) {
        sb.append(",\"Value\":[");
        for (int i = 0; i < e.items().size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          object(sb, e.items().get(i));
        }
        sb.append(']');
      }
      return;
    }
    byte[] v = e.value();
    if (v.length == 0) {
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
    StringBuilder values = new StringBuilder();
    switch (e.vr()) {
      case "US" -> { while (b.remaining() >= 2) { add(values, b.getShort() & 0xffff); } }
      case "SS" -> { while (b.remaining() >= 2) { add(values, b.getShort()); } }
      case "UL" -> { while (b.remaining() >= 4) { add(values, b.getInt() & 0xffffffffL); } }
      case "SL" -> { while (b.remaining() >= 4) { add(values, b.getInt()); } }
      case "SV" -> { while (b.remaining() >= 8) { add(values, b.getLong()); } }
      case "UV" -> { while (b.remaining() >= 8) { add(values, Long.toUnsignedString(b.getLong())); } }
      case "FL" -> { while (b.remaining() >= 4) { number(values, b.getFloat()); } }
      case "FD" -> { while (b.remaining() >= 8) { number(values, b.getDouble()); } }
      case "AT" -> {
        while (b.remaining() >= 4) {
          int tag = (b.getShort() & 0xffff) << 16 | (b.getShort() & 0xffff);
          addString(values, DicomDictionary.hex(tag));
        }
      }
      case "OB", "OD", "OF", "OL", "OV", "OW", "UN" -> {
        sb.append(",\"InlineBinary\":\"").append(Base64.getEncoder().encodeToString(v))
            .append('"');
        return;
      }
      default -> strings(values, e);
    }
    if (values.length() > 0) {
      sb.append(",\"Value\":[").append(values).append(']');
    }
  }

  private static void strings(StringBuilder values, DicomElement e) {
    String text = e.text();
    boolean single = e.vr().equals("LT") || e.vr().equals("ST") || e.vr().equals("UT")
        || e.vr().equals("UR");
    String[] parts = single ? new String[] {text} : text.split("\\\\", -1);
    for (String part : parts) {
      String p = single ? part : part.trim();
      switch (e.vr()) {
        case "PN" -> {
          sep(values);
          if (p.isEmpty()) {
            values.append("null");
            continue;
          }
          String[] groups = p.split("=", -1);
          String[] names = {"Alphabetic", "Ideographic", "Phonetic"};
          values.append('{');
          boolean first = true;
          for (int i = 0; i < Math.min(3, groups.length); i++) {
            if (groups[i].isEmpty()) {
              continue;
            }
            if (!first) {
              values.append(',');
            }
            first = false;
            values.append('"').append(names[i]).append("\":");
            quote(values, groups[i]);
          }
          values.append('}');
        }
        case "DS", "IS" -> {
          try {
            if (p.isEmpty()) {
              sep(values);
              values.append("null");
            } else if (e.vr().equals("IS")) {
              add(values, Long.parseLong(p.startsWith("+") ? p.substring(1) : p));
            } else {
              number(values, Double.parseDouble(p));
            }
          } catch (NumberFormatException ex) {
            addString(values, p); // not a number as stored: passed on as text
          }
        }
        default -> {
          if (p.isEmpty()) {
            sep(values);
            values.append("null");
          } else {
            addString(values, p);
          }
        }
      }
    }
  }

  private static void sep(StringBuilder values) {
    if (values.length() > 0) {
      values.append(',');
    }
  }

  private static void add(StringBuilder values, Object number) {
    sep(values);
    values.append(number);
  }

  private static void number(StringBuilder values, double d) {
    sep(values);
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      values.append("null");
    } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      values.append((long) d);
    } else {
      values.append(d);
    }
  }

  private static void addString(StringBuilder values, String s) {
    sep(values);
    quote(values, s);
  }

  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
