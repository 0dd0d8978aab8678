package dev.cmk.core.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes envelope headers byte by byte from the table in {@code docs/envelope-format.md},
 * independently of the library's own serializer, so a test can make a header lie: any length
 * field may claim a value that its content does not have. The tag is whatever is set (zeros by
 * default), so these headers never authenticate; they exist to be rejected.
 */
final class RawHeader {
  private int version = 1;
  private int suite = 1;
  private Integer headerLength;
  private long segmentSize = 256;
  private String providerId = FuzzFixture.PROVIDER_ID;
  private Integer providerIdLength;
  private String keyReference = "local:fuzz-kek/00000001";
  private Integer keyReferenceLength;
  private int wrapAlgorithm = 1;
  private byte[] wrappedKey = new byte[256];
  private Integer wrappedKeyLength;
  private byte[] noncePrefix = new byte[7];
  private byte[] tag = new byte[32];

  RawHeader version(int v) {
    version = v;
    return this;
  }

  RawHeader suite(int s) {
    suite = s;
    return this;
  }

  /** Claims a header length H other than the real one. */
  RawHeader headerLength(int h) {
    headerLength = h;
    return this;
  }

  /** Segment size S, written as an unsigned 32-bit value. */
  RawHeader segmentSize(long s) {
    segmentSize = s;
    return this;
  }

  RawHeader providerId(String id) {
    providerId = id;
    return this;
  }

  RawHeader providerIdLength(int p) {
    providerIdLength = p;
    return this;
  }

  RawHeader keyReference(String ref) {
    keyReference = ref;
    return this;
  }

  RawHeader keyReferenceLength(int r) {
    keyReferenceLength = r;
    return this;
  }

  RawHeader wrapAlgorithm(int id) {
    wrapAlgorithm = id;
    return this;
  }

  RawHeader wrappedKey(byte[] wk) {
    wrappedKey = wk.clone();
    return this;
  }

  RawHeader wrappedKeyLength(int w) {
    wrappedKeyLength = w;
    return this;
  }

  RawHeader tag(byte[] t) {
    tag = t.clone();
    return this;
  }

  /** The header bytes, in the documented layout. */
  byte[] toBytes() {
    byte[] provider = providerId.getBytes(StandardCharsets.US_ASCII);
    byte[] ref = keyReference.getBytes(StandardCharsets.US_ASCII);
    int realLength = 12 + 1 + provider.length + 2 + ref.length + 1 + 2 + wrappedKey.length
        + noncePrefix.length + tag.length;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {'C', 'M', 'K', 'E'});
    out.write(version);
    out.write(suite);
    u16(out, headerLength != null ? headerLength : realLength);
    u32(out, segmentSize);
    out.write(providerIdLength != null ? providerIdLength : provider.length);
    out.writeBytes(provider);
    u16(out, keyReferenceLength != null ? keyReferenceLength : ref.length);
    out.writeBytes(ref);
    out.write(wrapAlgorithm);
    u16(out, wrappedKeyLength != null ? wrappedKeyLength : wrappedKey.length);
    out.writeBytes(wrappedKey);
    out.writeBytes(noncePrefix);
    out.writeBytes(tag);
    return out.toByteArray();
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void u32(ByteArrayOutputStream out, long v) {
    out.write((int) (v >>> 24));
    out.write((int) (v >>> 16));
    out.write((int) (v >>> 8));
    out.write((int) v);
  }
}
