package dev.cmk.core.internal;

/** Big-endian integer helpers. */
final class Bytes {
  private Bytes() {}

  static void putU16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  static int getU16(byte[] b, int off) {
    return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
  }

  static void putU32(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  static long getU32(byte[] b, int off) {
    return getI32(b, off) & 0xFFFF_FFFFL;
  }

  /** Reads a u32 as a signed int; values above Integer.MAX_VALUE come back negative. */
  static int getI32(byte[] b, int off) {
    return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8
        | (b[off + 3] & 0xff);
  }
}
