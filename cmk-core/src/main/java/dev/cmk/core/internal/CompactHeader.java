package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.core.datakey.DataKeyId;
import java.util.Arrays;

/**
 * Envelope format v2 header: 48 bytes that name a shared data-key record instead of carrying a
 * wrapped data key. See {@code docs/envelope-format.md}, "Format v2".
 *
 * <pre>
 * off  size  field
 * 0    4     magic "CMKE"
 * 4    1     format version (2)
 * 5    1     suite (2 = AES-256-GCM, per-slot HMAC-SHA256 body key, header as associated data)
 * 6    1     segment size exponent e: S = 2^e, 8 &lt;= e &lt;= 24
 * 7    32    data-key id = HMAC-SHA256(DK, "cmk/v2/data-key-id"): names the record, commits to DK
 * 39   4     writer slot w (u32), handed out once per record by the store
 * 43   5     message number m (u40), different for every envelope of one writer slot
 * </pre>
 *
 * <p>There is no header tag: every header byte is part of the associated data of every segment's
 * AES-GCM tag, and the data key is committed by the id (checked when a record is unwrapped).
 */
public final class CompactHeader implements Header {
  public static final int FORMAT_VERSION = 2;
  public static final int SUITE = 2;
  public static final int LENGTH = 48;
  public static final int ID_OFFSET = 7;
  public static final int SLOT_OFFSET = ID_OFFSET + DataKeyId.LENGTH;
  public static final int MESSAGE_OFFSET = SLOT_OFFSET + 4;
  public static final int MESSAGE_LENGTH = 5;
  /** Message numbers are 40-bit: {@code 0 <= m <= MAX_MESSAGE}. */
  public static final long MAX_MESSAGE = (1L << 40) - 1;
  public static final int MIN_EXPONENT = 8;
  public static final int MAX_EXPONENT = 24;

  private final byte[] bytes;
  private final int segmentSize;

  private CompactHeader(byte[] bytes) {
    this.bytes = bytes;
    this.segmentSize = 1 << bytes[6];
  }

  /** Whether v2 can write envelopes of this segment size (a power of two, 256 B to 16 MiB). */
  public static boolean isWritableSegmentSize(int segmentSize) {
    return Integer.bitCount(segmentSize) == 1 && segmentSize >= 1 << MIN_EXPONENT
        && segmentSize <= 1 << MAX_EXPONENT;
  }

  /** A new header. */
  public static CompactHeader create(int segmentSize, byte[] dataKeyId, long slot, long message) {
    if (!isWritableSegmentSize(segmentSize)) {
      throw new IllegalArgumentException("format v2 segment sizes are powers of two, 256 B-16 MiB");
    }
    if (dataKeyId.length != DataKeyId.LENGTH || slot < 0 || slot > 0xFFFF_FFFFL || message < 0
        || message > MAX_MESSAGE) {
      throw new IllegalArgumentException("bad v2 header field");
    }
    byte[] b = new byte[LENGTH];
    System.arraycopy(EnvelopeHeader.MAGIC, 0, b, 0, 4);
    b[4] = FORMAT_VERSION;
    b[5] = SUITE;
    b[6] = (byte) Integer.numberOfTrailingZeros(segmentSize);
    System.arraycopy(dataKeyId, 0, b, ID_OFFSET, DataKeyId.LENGTH);
    Bytes.putU32(b, SLOT_OFFSET, (int) slot);
    for (int i = MESSAGE_LENGTH - 1; i >= 0; i--) {
      b[MESSAGE_OFFSET + i] = (byte) message;
      message >>>= 8;
    }
    return new CompactHeader(b);
  }

  /**
   * Parses exactly {@link #LENGTH} bytes whose magic and version were checked by {@link Headers}.
   *
   * @throws InvalidCiphertextException if a field is out of range
   * @throws dev.cmk.api.UnsupportedFormatException if the suite is unknown
   */
  static CompactHeader parse(byte[] header) {
    if (header.length != LENGTH) {
      throw new InvalidCiphertextException();
    }
    int suite = header[5] & 0xff;
    if (suite != SUITE) {
      throw new dev.cmk.api.UnsupportedFormatException(
          "envelope algorithm suite " + suite + " is not supported in format 2 (this build reads 2)");
    }
    int e = header[6];
    if (e < MIN_EXPONENT || e > MAX_EXPONENT) {
      throw new InvalidCiphertextException();
    }
    return new CompactHeader(header);
  }

  @Override
  public byte[] bytes() {
    return bytes;
  }

  @Override
  public int length() {
    return LENGTH;
  }

  @Override
  public int segmentSize() {
    return segmentSize;
  }

  @Override
  public int formatVersion() {
    return FORMAT_VERSION;
  }

  /** The data-key id's bytes (a copy). */
  public byte[] dataKeyIdBytes() {
    return Arrays.copyOfRange(bytes, ID_OFFSET, ID_OFFSET + DataKeyId.LENGTH);
  }

  /** The data-key id. */
  public DataKeyId dataKeyId() {
    return DataKeyId.of(dataKeyIdBytes());
  }

  /** The writer slot. */
  public long writerSlot() {
    return Bytes.getU32(bytes, SLOT_OFFSET);
  }

  /** The message number. */
  public long messageNumber() {
    long v = 0;
    for (int i = 0; i < MESSAGE_LENGTH; i++) {
      v = (v << 8) | (bytes[MESSAGE_OFFSET + i] & 0xff);
    }
    return v;
  }

  @Override
  public String toString() {
    return "CompactHeader[record " + dataKeyId() + ", slot " + writerSlot() + "]";
  }
}
