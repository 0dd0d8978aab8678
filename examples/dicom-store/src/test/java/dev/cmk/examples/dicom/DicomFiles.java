package dev.cmk.examples.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small but valid DICOM Part 10 files for the tests: a file meta group, patient, study,
 * series and instance attributes, and native (multi-frame) or encapsulated pixel data, in
 * explicit or implicit VR little endian.
 */
final class DicomFiles {
  static final String SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";
  static final String MF_GRAYSCALE_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3";

  String study = "1.2.826.0.1.3680043.8.498.10";
  String series = "1.2.826.0.1.3680043.8.498.10.1";
  String sop = "1.2.826.0.1.3680043.8.498.10.1.1";
  String sopClass = SECONDARY_CAPTURE;
  String patientName = "Doe^Jane";
  String patientId = "PID-0001";
  String studyDate = "20240315";
  String accession = "ACC-0001";
  String modality = "OT";
  boolean implicit;
  int rows = 8;
  int columns = 8;
  int frames = 1;
  /** Encapsulated fragments (JPEG baseline transfer syntax) instead of native pixels. */
  List<byte[]> fragments;
  boolean offsetTable;
  long seed = 1;
  /** If not negative: build() ends with a Pixel Data header of this length and no value. */
  long declaredPixelLength = -1;

  DicomFiles uids(String study, String series, String sop) {
    this.study = study;
    this.series = series;
    this.sop = sop;
    return this;
  }

  /** The native pixel bytes of frame {@code i} (0-based): 16-bit, seeded. */
  byte[] frame(int i) {
    byte[] b = new byte[rows * columns * 2];
    SyntheticDicom g = new SyntheticDicom(seed * 1000 + i, b.length + 132L);
    System.arraycopy(g.bytes(132, b.length), 0, b, 0, b.length);
    return b;
  }

  String transferSyntax() {
    if (fragments != null) {
      return "1.2.840.10008.1.2.4.50";
    }
    return implicit ? "1.2.840.10008.1.2" : "1.2.840.10008.1.2.1";
  }

  byte[] build() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[128]);
    out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
    ByteArrayOutputStream meta = new ByteArrayOutputStream();
    explicit(meta, 0x00020001, "OB", new byte[] {0, 1});
    explicit(meta, 0x00020002, "UI", ui(sopClass));
    explicit(meta, 0x00020003, "UI", ui(sop));
    explicit(meta, 0x00020010, "UI", ui(transferSyntax()));
    explicit(meta, 0x00020012, "UI", ui("1.2.826.0.1.3680043.8.498.1"));
    explicit(out, 0x00020000, "UL", le(meta.size(), 4));
    out.writeBytes(meta.toByteArray());
    element(out, 0x00080016, "UI", ui(sopClass));
    element(out, 0x00080018, "UI", ui(sop));
    element(out, 0x00080020, "DA", text(studyDate));
    element(out, 0x00080050, "SH", text(accession));
    element(out, 0x00080060, "CS", text(modality));
    element(out, 0x00100010, "PN", text(patientName));
    element(out, 0x00100020, "LO", text(patientId));
    element(out, 0x0020000D, "UI", ui(study));
    element(out, 0x0020000E, "UI", ui(series));
    element(out, 0x00200013, "IS", text("1"));
    element(out, 0x00280002, "US", le(1, 2));
    element(out, 0x00280004, "CS", text("MONOCHROME2"));
    if (frames > 1) {
      element(out, 0x00280008, "IS", text(Integer.toString(frames)));
    }
    element(out, 0x00280010, "US", le(rows, 2));
    element(out, 0x00280011, "US", le(columns, 2));
    element(out, 0x00280100, "US", le(fragments != null ? 8 : 16, 2));
    element(out, 0x00280101, "US", le(fragments != null ? 8 : 16, 2));
    element(out, 0x00280102, "US", le(fragments != null ? 7 : 15, 2));
    element(out, 0x00280103, "US", le(0, 2));
    if (declaredPixelLength >= 0) {
      tag(out, 0x7FE00010);
      out.writeBytes("OW".getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(le(0, 2));
      out.writeBytes(le(declaredPixelLength, 4));
    } else if (fragments == null) {
      ByteArrayOutputStream pixels = new ByteArrayOutputStream();
      for (int i = 0; i < frames; i++) {
        pixels.writeBytes(frame(i));
      }
      element(out, 0x7FE00010, "OW", pixels.toByteArray());
    } else {
      tag(out, 0x7FE00010);
      out.writeBytes("OB".getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(le(0, 2));
      out.writeBytes(le(0xFFFFFFFFL, 4));
      tag(out, 0xFFFEE000);
      List<Long> table = new ArrayList<>();
      long at = 0;
      for (byte[] f : fragments) {
        table.add(at);
        at += 8 + f.length;
      }
      out.writeBytes(le(offsetTable ? 4L * table.size() : 0, 4));
      if (offsetTable) {
        for (long t : table) {
          out.writeBytes(le(t, 4));
        }
      }
      for (byte[] f : fragments) {
        tag(out, 0xFFFEE000);
        out.writeBytes(le(f.length, 4));
        out.writeBytes(f);
      }
      tag(out, 0xFFFEE0DD);
      out.writeBytes(le(0, 4));
    }
    return out.toByteArray();
  }

  private void element(ByteArrayOutputStream out, int tag, String vr, byte[] value) {
    if (implicit) {
      tag(out, tag);
      out.writeBytes(le(value.length, 4));
      out.writeBytes(value);
    } else {
      explicit(out, tag, vr, value);
    }
  }

  static void explicit(ByteArrayOutputStream out, int tag, String vr, byte[] value) {
    tag(out, tag);
    out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
    if (vr.equals("OB") || vr.equals("OW") || vr.equals("SQ") || vr.equals("UN")
        || vr.equals("UT")) {
      out.writeBytes(le(0, 2));
      out.writeBytes(le(value.length, 4));
    } else {
      out.writeBytes(le(value.length, 2));
    }
    out.writeBytes(value);
  }

  static void tag(ByteArrayOutputStream out, int tag) {
    out.writeBytes(le(tag >>> 16, 2));
    out.writeBytes(le(tag & 0xffff, 2));
  }

  static byte[] le(long v, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }

  static byte[] ui(String uid) {
    byte[] s = uid.getBytes(StandardCharsets.US_ASCII);
    byte[] b = new byte[s.length + (s.length & 1)];
    System.arraycopy(s, 0, b, 0, s.length);
    return b;
  }

  static byte[] text(String t) {
    byte[] s = t.getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[s.length + (s.length & 1)];
    System.arraycopy(s, 0, b, 0, s.length);
    if ((s.length & 1) == 1) {
      b[s.length] = ' ';
    }
    return b;
  }
}
