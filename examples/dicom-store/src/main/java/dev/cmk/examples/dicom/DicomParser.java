package dev.cmk.examples.dicom;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A bounded, streaming reader of the parts of a DICOM Part 10 stream that the DICOMweb endpoints
 * need: the preamble and file meta group, then the dataset in explicit or implicit VR little
 * endian (sequences of defined and undefined length walked, values up to {@value #MAX_KEPT_VALUE}
 * bytes kept, larger ones skipped), and the position of the pixel data: native (one offset and
 * length) or encapsulated (the Basic Offset Table and every fragment's offset and length).
 *
 * <p>Why not a library: dcm4che, the maintained Java DICOM toolkit, is published to its own
 * repository, not Maven Central, and no other maintained DICOM parser resolves from Central here
 * (PixelMed neither). This parser reads only what the store indexes and serves.
 *
 * <p><b>Bounds:</b> the file meta group at most {@value #MAX_META} bytes; sequences nested at most
 * {@value #MAX_DEPTH} deep; at most {@value #MAX_ELEMENTS} elements and {@value #MAX_FRAGMENTS}
 * pixel fragments; kept values at most {@value #MAX_KEPT_TOTAL} bytes in total; every element and
 * item must fit in its enclosing item or sequence; undefined lengths only where PS3.5 allows
 * them. The stream is read once, forward, and each element consumes at least 8 bytes, so parsing
 * ends. Any violation, truncation or unsupported encoding (big endian, deflate) is a {@link
 * DicomParseException}; nothing else is thrown for bad input.
 *
 * <p><b>Thread safety:</b> one instance per stream; not thread-safe.
 */
final class DicomParser {
  /** Bytes of the Part 10 preamble (128) and the {@code DICM} prefix (4). */
  static final int PREFIX_LENGTH = 132;
  static final int MAX_META = 64 * 1024;
  static final int MAX_DEPTH = 8;
  static final int MAX_ELEMENTS = 100_000;
  static final int MAX_FRAGMENTS = 100_000;
  static final int MAX_KEPT_VALUE = 64 * 1024;
  static final int MAX_KEPT_TOTAL = 4 << 20;
  static final String IMPLICIT_LE = "1.2.840.10008.1.2";
  static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
  private static final int ITEM = 0xFFFEE000;
  private static final int ITEM_END = 0xFFFEE00D;
  private static final int SEQUENCE_END = 0xFFFEE0DD;
  private static final long UNDEFINED = 0xFFFFFFFFL;
  private static final Set<String> LONG_VRS =
      Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");

  /** Called once, when the dataset before the pixel data is complete (or at its end). */
  @FunctionalInterface
  interface Listener {
    /**
     * The top-level attributes read so far (everything before the pixel data).
     *
     * @param transferSyntax the transfer syntax UID
     * @param dataset the attributes
     * @throws DicomParseException to stop parsing (e.g. a required UID is missing)
     * @throws IOException passed on to the caller
     */
    void beforePixelData(String transferSyntax, List<DicomElement> dataset)
        throws DicomParseException, IOException;
  }

  private final InputStream in;
  private final byte[] pushback = new byte[8];
  private int pushed;
  private long position;
  private int elements;
  private long kept;
  private final byte[] scratch = new byte[8192];

  private DicomParser(InputStream in) {
    this.in = in;
  }

  /**
   * Parses a Part 10 stream to its end.
   *
   * @param in the stream, read to its end (not closed)
   * @param listener told when the attributes before the pixel data are known
   * @return what was parsed
   * @throws DicomParseException if the stream is not a DICOM file this parser reads
   * @throws IOException if reading fails, or the listener throws it
   */
  static ParsedInstance parse(InputStream in, Listener listener)
      throws DicomParseException, IOException {
    return new DicomParser(in).file(listener);
  }

  /**
   * Parses a bare dataset in explicit VR little endian (as {@link ParsedInstance#encodeDataset}
   * writes it) to its end.
   *
   * @param in the dataset
   * @return its top-level attributes
   * @throws DicomParseException if malformed
   * @throws IOException if reading fails
   */
  static List<DicomElement> dataset(InputStream in) throws DicomParseException, IOException {
    DicomParser p = new DicomParser(in);
    List<DicomElement> out = new ArrayList<>();
    p.readDataset(out, -1, 0, false, true, null);
    return out;
  }

  /**
   * Whether {@code head} begins like a DICOM Part 10 file: a 128-byte preamble, then {@code DICM}.
   *
   * @param head the first bytes of a stream (shorter than {@value #PREFIX_LENGTH}: false)
   * @return whether the prefix is there
   */
  static boolean hasPart10Prefix(byte[] head) {
    return head.length >= PREFIX_LENGTH && head[128] == 'D' && head[129] == 'I'
        && head[130] == 'C' && head[131] == 'M';
  }

  private ParsedInstance file(Listener listener) throws DicomParseException, IOException {
    byte[] head = new byte[PREFIX_LENGTH];
    readFully(head, PREFIX_LENGTH);
    if (!hasPart10Prefix(head)) {
      throw new DicomParseException("no DICM prefix after the 128-byte preamble");
    }
    List<DicomElement> meta = new ArrayList<>();
    while (!atEof() && peekGroup() == 0x0002) {
      readElement(meta, -1, 0, false, false);
      if (position - PREFIX_LENGTH > MAX_META) {
        throw new DicomParseException("file meta group longer than " + MAX_META + " bytes");
      }
    }
    String ts = meta.stream().filter(e -> e.tag() == DicomDictionary.TRANSFER_SYNTAX_UID)
        .findFirst().map(DicomElement::text)
        .orElseThrow(() -> new DicomParseException("no transfer syntax in the file meta group"));
    if (ts.equals("1.2.840.10008.1.2.2") || ts.equals("1.2.840.10008.1.2.1.99")) {
      throw new DicomParseException("big endian and deflated transfer syntaxes are not read");
    }
    boolean implicit = ts.equals(IMPLICIT_LE);
    List<DicomElement> dataset = new ArrayList<>();
    PixelData[] pixels = new PixelData[1];
    readDataset(dataset, -1, 0, implicit, true, length -> {
      if (pixels[0] != null) {
        throw new DicomParseException("two Pixel Data elements");
      }
      listener.beforePixelData(ts, List.copyOf(dataset));
      pixels[0] = pixelData(length);
    });
    if (pixels[0] == null) {
      listener.beforePixelData(ts, List.copyOf(dataset));
    }
    return ParsedInstance.of(ts, dataset, pixels[0], position);
  }

  /** Where the pixel data lies: a native value or encapsulated fragments. */
  record PixelData(long offset, long length, boolean encapsulated, long[] offsetTable,
      long[] fragmentItemStarts, long[] fragmentOffsets, long[] fragmentLengths) {}

  private interface PixelHook {
    void pixelData(long length) throws DicomParseException, IOException;
  }

  private void readDataset(List<DicomElement> out, long end, int depth, boolean implicit,
      boolean top, PixelHook hook) throws DicomParseException, IOException {
    while (true) {
      if (end >= 0) {
        if (position == end) {
          return;
        }
        if (position > end) {
          throw new DicomParseException("element runs past the end of its item");
        }
      } else if (top && atEof()) {
        return;
      }
      int tag = readTag();
      if (tag == ITEM_END) {
        if (top || end >= 0 || u32() != 0) {
          throw new DicomParseException("misplaced item delimiter");
        }
        return;
      }
      pushTag(tag);
      readElement(out, end, depth, implicit, top, hook);
    }
  }

  private void readElement(List<DicomElement> out, long end, int depth, boolean implicit,
      boolean top) throws DicomParseException, IOException {
    readElement(out, end, depth, implicit, top, null);
  }

  private void readElement(List<DicomElement> out, long end, int depth, boolean implicit,
      boolean top, PixelHook hook) throws DicomParseException, IOException {
    if (++elements > MAX_ELEMENTS) {
      throw new DicomParseException("more than " + MAX_ELEMENTS + " elements");
    }
    int tag = readTag();
    if ((tag >>> 16) == 0xFFFE) {
      throw new DicomParseException("item tag outside a sequence");
    }
    String vr;
    long length;
    if (implicit) {
      vr = DicomDictionary.implicitVr(tag);
      length = u32();
    } else {
      byte[] v = new byte[2];
      readFully(v, 2);
      if (v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z') {
        throw new DicomParseException("invalid value representation");
      }
      vr = new String(v, StandardCharsets.US_ASCII);
      if (LONG_VRS.contains(vr)) {
        u16();
        length = u32();
      } else {
        length = u16();
      }
    }
    if (length != UNDEFINED && end >= 0 && position + length > end) {
      throw new DicomParseException("element longer than its enclosing item");
    }
    if (top && hook != null && tag == DicomDictionary.PIXEL_DATA) {
      hook.pixelData(length);
      return;
    }
    if (vr.equals("SQ") || (length == UNDEFINED && vr.equals("UN"))) {
      List<List<DicomElement>> items = readItems(length, depth + 1, implicit || vr.equals("UN"));
      out.add(new DicomElement(tag, "SQ", new byte[0], items));
      return;
    }
    if (length == UNDEFINED) {
      if (!vr.equals("OB") && !vr.equals("OW")) {
        throw new DicomParseException("undefined length on a value that cannot have one");
      }
      pixelData(length); // encapsulated data outside the top level: walked, not kept
      return;
    }
    if (length <= MAX_KEPT_VALUE && kept + length <= MAX_KEPT_TOTAL
        && tag != DicomDictionary.PIXEL_DATA) {
      byte[] value = new byte[(int) length];
      readFully(value, value.length);
      kept += length;
      out.add(new DicomElement(tag, vr, value, List.of()));
    } else {
      skip(length);
    }
  }

  private List<List<DicomElement>> readItems(long length, int depth, boolean implicit)
      throws DicomParseException, IOException {
    if (depth > MAX_DEPTH) {
      throw new DicomParseException("sequences nested deeper than " + MAX_DEPTH);
    }
    long end = length == UNDEFINED ? -1 : position + length;
    List<List<DicomElement>> items = new ArrayList<>();
    while (end < 0 || position < end) {
      int tag = readTag();
      long itemLength = u32();
      if (tag == SEQUENCE_END) {
        if (end >= 0 || itemLength != 0) {
          throw new DicomParseException("misplaced sequence delimiter");
        }
        return items;
      }
      if (tag != ITEM) {
        throw new DicomParseException("expected an item in a sequence");
      }
      long itemEnd = itemLength == UNDEFINED ? -1 : position + itemLength;
      if (end >= 0 && (itemEnd < 0 ? false : itemEnd > end)) {
        throw new DicomParseException("item longer than its sequence");
      }
      List<DicomElement> item = new ArrayList<>();
      readDataset(item, itemEnd, depth, implicit, false, null);
      items.add(item);
    }
    if (position != end) {
      throw new DicomParseException("item runs past the end of its sequence");
    }
    return items;
  }

  private PixelData pixelData(long length) throws DicomParseException, IOException {
    if (length != UNDEFINED) {
      long offset = position;
      skip(length);
      return new PixelData(offset, length, false, new long[0], new long[0], new long[0],
          new long[0]);
    }
    if (readTag() != ITEM) {
      throw new DicomParseException("encapsulated pixel data without a Basic Offset Table item");
    }
    long botLength = u32();
    if (botLength % 4 != 0 || botLength > 4L * MAX_FRAGMENTS) {
      throw new DicomParseException("invalid Basic Offset Table length");
    }
    long[] table = new long[(int) (botLength / 4)];
    for (int i = 0; i < table.length; i++) {
      table[i] = u32();
    }
    List<long[]> fragments = new ArrayList<>();
    while (true) {
      int tag = readTag();
      long len = u32();
      if (tag == SEQUENCE_END) {
        if (len != 0) {
          throw new DicomParseException("invalid sequence delimiter");
        }
        break;
      }
      if (tag != ITEM || len == UNDEFINED) {
        throw new DicomParseException("expected a pixel data fragment");
      }
      if (fragments.size() >= MAX_FRAGMENTS) {
        throw new DicomParseException("more than " + MAX_FRAGMENTS + " fragments");
      }
      fragments.add(new long[] {position - 8, position, len});
      skip(len);
    }
    int n = fragments.size();
    long[] starts = new long[n];
    long[] offsets = new long[n];
    long[] lengths = new long[n];
    for (int i = 0; i < n; i++) {
      starts[i] = fragments.get(i)[0];
      offsets[i] = fragments.get(i)[1];
      lengths[i] = fragments.get(i)[2];
    }
    return new PixelData(-1, -1, true, table, starts, offsets, lengths);
  }

  // ------------------------------------------------------------------ bytes

  private int peekGroup() throws IOException, DicomParseException {
    int tag = readTag();
    pushTag(tag);
    return tag >>> 16;
  }

  private void pushTag(int tag) {
    // little endian group, then element; pushed in reverse order of reading
    byte[] b = {(byte) (tag >>> 16), (byte) (tag >>> 24), (byte) tag, (byte) (tag >>> 8)};
    for (int i = 3; i >= 0; i--) {
      pushback[pushed++] = b[i];
    }
    position -= 4;
  }

  private int readTag() throws IOException, DicomParseException {
    int group = u16();
    int element = u16();
    return (group << 16) | element;
  }

  private int u16() throws IOException, DicomParseException {
    return read() | (read() << 8);
  }

  private long u32() throws IOException, DicomParseException {
    return (u16() & 0xffffL) | ((long) u16() << 16);
  }

  private boolean atEof() throws IOException {
    if (pushed > 0) {
      return false;
    }
    int b = in.read();
    if (b < 0) {
      return true;
    }
    pushback[pushed++] = (byte) b;
    return false;
  }

  private int read() throws IOException, DicomParseException {
    int b;
    if (pushed > 0) {
      b = pushback[--pushed] & 0xff;
    } else {
      b = in.read();
      if (b < 0) {
        throw new DicomParseException("truncated");
      }
    }
    position++;
    return b;
  }

  private void readFully(byte[] b, int n) throws IOException, DicomParseException {
    int i = 0;
    while (i < n && pushed > 0) {
      b[i++] = (byte) read();
    }
    try {
      int got = in.readNBytes(b, i, n - i);
      if (got < n - i) {
        throw new DicomParseException("truncated");
      }
    } catch (EOFException e) {
      throw new DicomParseException("truncated");
    }
    position += n - i;
  }

  private void skip(long n) throws IOException, DicomParseException {
    while (n > 0 && pushed > 0) {
      read();
      n--;
    }
    while (n > 0) {
      int got = in.read(scratch, 0, (int) Math.min(scratch.length, n));
      if (got < 0) {
        throw new DicomParseException("truncated");
      }
      n -= got;
      position += got;
    }
  }
}
