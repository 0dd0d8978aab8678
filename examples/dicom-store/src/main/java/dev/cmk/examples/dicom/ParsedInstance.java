package dev.cmk.examples.dicom;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the store keeps about one instance besides its bytes: the transfer syntax, the top-level
 * attributes (pixel data and values over {@value DicomParser#MAX_KEPT_VALUE} bytes left out), and
 * where each frame's bytes lie in the Part 10 file. Serialised by {@link #encode} into the
 * per-instance metadata envelope; never written anywhere unencrypted.
 *
 * @param transferSyntax the transfer syntax UID
 * @param dataset the top-level attributes
 * @param encapsulated whether the pixel data is encapsulated (compressed)
 * @param frames for each frame, the byte ranges (fragments) holding it, in order; empty when the
 *     frames cannot be located (no pixel data, bit-packed, or an ambiguous fragment layout)
 * @param length the Part 10 file's length in bytes
 */
record ParsedInstance(String transferSyntax, List<DicomElement> dataset, boolean encapsulated,
    List<List<Fragment>> frames, long length) {
  private static final byte[] MAGIC = {'C', 'M', 'K', 'M', 1};
  private static final Set<String> LONG_VRS =
      Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");

  /**
   * A byte range of the Part 10 file.
   *
   * @param offset first byte
   * @param length number of bytes
   */
  record Fragment(long offset, long length) {}

  /** Copies. */
  ParsedInstance {
    dataset = List.copyOf(dataset);
    frames = frames.stream().map(List::copyOf).toList();
  }

  static ParsedInstance of(String ts, List<DicomElement> dataset, DicomParser.PixelData pixels,
      long length) {
    List<List<Fragment>> frames = new ArrayList<>();
    boolean encapsulated = pixels != null && pixels.encapsulated();
    long count = Math.max(1, intOf(dataset, DicomDictionary.NUMBER_OF_FRAMES));
    if (pixels != null && !encapsulated) {
      long rows = intOf(dataset, DicomDictionary.ROWS);
      long cols = intOf(dataset, DicomDictionary.COLUMNS);
      long bits = intOf(dataset, DicomDictionary.BITS_ALLOCATED);
      long samples = Math.max(1, intOf(dataset, DicomDictionary.SAMPLES_PER_PIXEL));
      if (rows > 0 && cols > 0 && bits > 0 && bits % 8 == 0 && count <= 1_000_000) {
        long size = rows * cols * samples * (bits / 8);
        if (count * size <= pixels.length()) {
          for (long i = 0; i < count; i++) {
            frames.add(List.of(new Fragment(pixels.offset() + i * size, size)));
          }
        }
      }
    } else if (pixels != null) {
      int n = pixels.fragmentOffsets().length;
      long[] table = pixels.offsetTable();
      if (n > 0 && count == 1) {
        List<Fragment> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          all.add(new Fragment(pixels.fragmentOffsets()[i], pixels.fragmentLengths()[i]));
        }
        frames.add(all);
      } else if (n == count) {
        for (int i = 0; i < n; i++) {
          frames.add(List.of(new Fragment(pixels.fragmentOffsets()[i],
              pixels.fragmentLengths()[i])));
        }
      } else if (n > 0 && table.length == count) {
        frames = byOffsetTable(pixels, table);
      }
    }
    return new ParsedInstance(ts, dataset, encapsulated, frames, length);
  }

  private static List<List<Fragment>> byOffsetTable(DicomParser.PixelData p, long[] table) {
    List<List<Fragment>> frames = new ArrayList<>();
    long first = p.fragmentItemStarts()[0];
    int j = 0;
    for (int k = 0; k < table.length; k++) {
      long next = k + 1 < table.length ? table[k + 1] : Long.MAX_VALUE;
      if (table[k] != p.fragmentItemStarts()[j] - first || next <= table[k]) {
        return List.of(); // the table does not point at item starts: frames not located
      }
      List<Fragment> frame = new ArrayList<>();
      while (j < p.fragmentOffsets().length && p.fragmentItemStarts()[j] - first < next) {
        frame.add(new Fragment(p.fragmentOffsets()[j], p.fragmentLengths()[j]));
        j++;
      }
      frames.add(frame);
      if (j == p.fragmentOffsets().length && k + 1 < table.length) {
        return List.of();
      }
    }
    return frames;
  }

  private static long intOf(List<DicomElement> dataset, int tag) {
    return find(dataset, tag).map(DicomElement::intValue).orElse(-1L);
  }

  static Optional<DicomElement> find(List<DicomElement> dataset, int tag) {
    return dataset.stream().filter(e -> e.tag() == tag).findFirst();
  }

  /** The text of a top-level attribute, or empty. */
  Optional<String> text(int tag) {
    return find(dataset, tag).filter(e -> !e.isSequence()).map(DicomElement::text)
        .filter(s -> !s.isEmpty());
  }

  /** The instance's three UIDs as a key (validated). */
  InstanceKey key() {
    return new InstanceKey(
        text(DicomDictionary.STUDY_INSTANCE_UID).orElse(""),
        text(DicomDictionary.SERIES_INSTANCE_UID).orElse(""),
        text(DicomDictionary.SOP_INSTANCE_UID).orElse(""));
  }

  /**
   * Serialises this record (with the binding to the instance envelope it describes).
   *
   * @param binding identifies the instance envelope (see {@link InstanceStore})
   * @return the bytes to encrypt
   */
  byte[] encode(byte[] binding) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeShort(binding.length);
      out.write(binding);
      out.writeUTF(transferSyntax);
      out.writeBoolean(encapsulated);
      out.writeLong(length);
      out.writeInt(frames.size());
      for (List<Fragment> frame : frames) {
        out.writeInt(frame.size());
        for (Fragment f : frame) {
          out.writeLong(f.offset());
          out.writeLong(f.length());
        }
      }
      byte[] ds = encodeDataset(dataset);
      out.writeInt(ds.length);
      out.write(ds);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory stream", e);
    }
  }

  /**
   * Reads what {@link #encode} wrote (after decryption: authenticated, so malformed input means a
   * bug or another version, reported as a parse exception).
   *
   * @param bytes the decrypted metadata
   * @param binding the binding it must carry
   * @return the record, or empty if it describes another version of the instance
   * @throws DicomParseException if malformed
   */
  static Optional<ParsedInstance> decode(byte[] bytes, byte[] binding)
      throws DicomParseException {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new DicomParseException("not an instance metadata record");
      }
      byte[] stored = in.readNBytes(in.readUnsignedShort());
      if (binding != null && !Arrays.equals(stored, binding)) {
        return Optional.empty();
      }
      String ts = in.readUTF();
      boolean encapsulated = in.readBoolean();
      long length = in.readLong();
      int n = in.readInt();
      if (n < 0 || n > 10_000_000) {
        throw new DicomParseException("invalid frame count");
      }
      List<List<Fragment>> frames = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int m = in.readInt();
        if (m < 0 || m > DicomParser.MAX_FRAGMENTS) {
          throw new DicomParseException("invalid fragment count");
        }
        List<Fragment> frame = new ArrayList<>(m);
        for (int k = 0; k < m; k++) {
          frame.add(new Fragment(in.readLong(), in.readLong()));
        }
        frames.add(frame);
      }
      int dsLength = in.readInt();
      byte[] ds = in.readNBytes(Math.max(0, dsLength));
      if (ds.length != dsLength) {
        throw new DicomParseException("truncated metadata record");
      }
      return Optional.of(new ParsedInstance(ts, DicomParser.dataset(new ByteArrayInputStream(ds)),
          encapsulated, frames, length));
    } catch (IOException e) {
      throw new DicomParseException("truncated metadata record");
    }
  }

  /** The attributes in explicit VR little endian (sequences and items of undefined length). */
  static byte[] encodeDataset(List<DicomElement> dataset) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, dataset);
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, List<DicomElement> dataset) {
    for (DicomElement e : dataset) {
      tag(out, e.tag());
      if (e.isSequence()) {
        out.writeBytes("SQ".getBytes(StandardCharsets.US_ASCII));
        le(out, 0, 2);
        le(out, 0xFFFFFFFFL, 4);
        for (List<DicomElement> item : e.items()) {
          tag(out, 0xFFFEE000);
          le(out, 0xFFFFFFFFL, 4);
          write(out, item);
          tag(out, 0xFFFEE00D);
          le(out, 0, 4);
        }
        tag(out, 0xFFFEE0DD);
        le(out, 0, 4);
        continue;
      }
      byte[] v = e.value();
      String vr = LONG_VRS.contains(e.vr()) || v.length <= 0xFFFF ? e.vr() : "UN";
      out.writeBytes(vr.getBytes(StandardCharsets.US_ASCII));
      if (LONG_VRS.contains(vr)) {
        le(out, 0, 2);
        le(out, v.length, 4);
      } else {
        le(out, v.length, 2);
      }
      out.writeBytes(v);
    }
  }

  private static void tag(ByteArrayOutputStream out, int tag) {
    le(out, tag >>> 16, 2);
    le(out, tag & 0xffff, 2);
  }

  private static void le(ByteArrayOutputStream out, long v, int n) {
    for (int i = 0; i < n; i++) {
      out.write((int) (v >>> (8 * i)));
    }
  }
}
