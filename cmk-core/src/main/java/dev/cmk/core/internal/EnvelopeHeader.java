package dev.cmk.core.internal;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.ProviderIds;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Envelope format v1 header: serialization and bounded parsing. See {@code
 * docs/envelope-format.md} for the byte layout.
 *
 * <pre>
 * off  size  field
 * 0    4     magic "CMKE"
 * 4    1     format version (1)
 * 5    1     suite (1 = AES-256-GCM, HMAC-SHA256 body key and commitment)
 * 6    2     header length H (u16, whole header including the commitment tag)
 * 8    4     segment size S (u32, plaintext bytes per segment)
 * 12   1     provider id length p, then p bytes provider id (ASCII)
 *      2     key reference length r, then r bytes key reference (ASCII, versioned)
 *      1     wrap algorithm id
 *      2     wrapped key length w, then w bytes wrapped key
 * H-39 7     nonce prefix, unique per envelope under one data key
 * H-32 32    commitment tag = HMAC-SHA256(DK, "cmk/v1/header" || header[0, H-32))
 * </pre>
 *
 * <p>Everything before the nonce prefix ({@link #staticLength()} bytes) is the same for every
 * envelope written under one data key with one segment size, which lets the tag computation start
 * from a cached HMAC state.
 *
 * <p>Every length is checked against its hard bound and against {@code H} before anything is
 * allocated; malformed input raises {@link InvalidCiphertextException}, a well-formed header of an
 * unknown version, suite or wrap algorithm raises {@link UnsupportedFormatException}.
 */
public final class EnvelopeHeader implements Header {
  public static final byte[] MAGIC = {'C', 'M', 'K', 'E'};
  public static final int FORMAT_VERSION = 1;
  public static final int SUITE_AES256GCM_HMAC_SHA256 = 1;
  /** Bytes before the variable part: magic, version, suite, header length, segment size. */
  public static final int PREFIX_LENGTH = 12;
  /** Per-envelope part of every segment nonce, just before the tag. */
  public static final int NONCE_PREFIX_LENGTH = 7;
  /** Nonce prefixes are 56-bit numbers: {@code 0 <= prefix <= MAX_NONCE_PREFIX}. */
  public static final long MAX_NONCE_PREFIX = (1L << 56) - 1;
  public static final int TAG_LENGTH = 32;
  public static final int MAX_HEADER_LENGTH = 4096;
  public static final int MIN_SEGMENT_SIZE = 256;
  public static final int MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
  public static final int MAX_KEY_REFERENCE_LENGTH = 1024;
  /** Smallest possible header: one-byte provider id, key reference and wrapped key. */
  public static final int MIN_HEADER_LENGTH =
      PREFIX_LENGTH + 1 + 1 + 2 + 1 + 1 + 2 + 1 + NONCE_PREFIX_LENGTH + TAG_LENGTH;

  private final byte[] bytes; // the whole header, tag included
  private final int segmentSize;
  private final int routingOffset; // start of provider id length byte
  private final String providerId;
  private final String keyReference;
  private final WrapAlgorithm wrapAlgorithm;
  private final int wrappedKeyOffset;
  private final int wrappedKeyLength;
  private @Nullable KeyReference parsedReference; // lazily, see keyReference()
  private @Nullable KeyVersionId versionId; // lazily, see versionId()

  private EnvelopeHeader(
      byte[] bytes,
      int segmentSize,
      String providerId,
      String keyReference,
      WrapAlgorithm wrapAlgorithm,
      int wrappedKeyOffset,
      int wrappedKeyLength) {
    this.bytes = bytes;
    this.segmentSize = segmentSize;
    this.routingOffset = PREFIX_LENGTH;
    this.providerId = providerId;
    this.keyReference = keyReference;
    this.wrapAlgorithm = wrapAlgorithm;
    this.wrappedKeyOffset = wrappedKeyOffset;
    this.wrappedKeyLength = wrappedKeyLength;
  }

  /**
   * Builds a header with a zero tag; the caller fills the tag with {@link #sealWith(byte[])}.
   */
  public static EnvelopeHeader create(int segmentSize, long noncePrefix, WrappedKey wrapped) {
    return create(segmentSize, noncePrefix, wrapped, routingBytes(wrapped));
  }

  /** As {@link #create(int, long, WrappedKey)} with the routing bytes already computed. */
  public static EnvelopeHeader create(
      int segmentSize, long noncePrefix, WrappedKey wrapped, byte[] routing) {
    checkSegmentSize(segmentSize);
    if (noncePrefix < 0 || noncePrefix > MAX_NONCE_PREFIX) {
      throw new IllegalArgumentException("nonce prefix must be a 56-bit number");
    }
    int length = PREFIX_LENGTH + routing.length + NONCE_PREFIX_LENGTH + TAG_LENGTH;
    if (length > MAX_HEADER_LENGTH) {
      throw new IllegalArgumentException("envelope header would exceed " + MAX_HEADER_LENGTH);
    }
    byte[] b = new byte[length];
    System.arraycopy(MAGIC, 0, b, 0, 4);
    b[4] = FORMAT_VERSION;
    b[5] = SUITE_AES256GCM_HMAC_SHA256;
    Bytes.putU16(b, 6, length);
    Bytes.putU32(b, 8, segmentSize);
    System.arraycopy(routing, 0, b, PREFIX_LENGTH, routing.length);
    int n = PREFIX_LENGTH + routing.length;
    for (int i = NONCE_PREFIX_LENGTH - 1; i >= 0; i--) {
      b[n + i] = (byte) noncePrefix;
      noncePrefix >>>= 8;
    }
    int wkLength = wrapped.ciphertextLength();
    return new EnvelopeHeader(
        b,
        segmentSize,
        wrapped.providerId(),
        wrapped.keyReference().toString(),
        wrapped.algorithm(),
        length - TAG_LENGTH - NONCE_PREFIX_LENGTH - wkLength,
        wkLength);
  }

  /**
   * The routing part of a header for {@code wrapped}: provider id, key reference, wrap algorithm
   * and wrapped key, each length-prefixed. Identifies a wrapped data key.
   */
  public static byte[] routingBytes(WrappedKey wrapped) {
    byte[] provider = wrapped.providerId().getBytes(StandardCharsets.US_ASCII);
    byte[] ref = wrapped.keyReference().toString().getBytes(StandardCharsets.US_ASCII);
    byte[] wk = wrapped.ciphertext();
    if (ref.length > MAX_KEY_REFERENCE_LENGTH) {
      throw new IllegalArgumentException("key reference is too long for an envelope");
    }
    byte[] b = new byte[1 + provider.length + 2 + ref.length + 1 + 2 + wk.length];
    int p = 0;
    b[p++] = (byte) provider.length;
    System.arraycopy(provider, 0, b, p, provider.length);
    p += provider.length;
    Bytes.putU16(b, p, ref.length);
    p += 2;
    System.arraycopy(ref, 0, b, p, ref.length);
    p += ref.length;
    b[p++] = (byte) wrapped.algorithm().id();
    Bytes.putU16(b, p, wk.length);
    p += 2;
    System.arraycopy(wk, 0, b, p, wk.length);
    return b;
  }

  public static void checkSegmentSize(int segmentSize) {
    if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
      throw new IllegalArgumentException(
          "segment size must be " + MIN_SEGMENT_SIZE + " to " + MAX_SEGMENT_SIZE + " bytes");
    }
  }

  /**
   * Reads the declared header length from the first {@link #PREFIX_LENGTH} bytes, checking magic,
   * version and suite first.
   *
   * @param prefix at least {@code PREFIX_LENGTH} bytes
   * @return the header length H, within bounds
   */
  public static int declaredLength(byte[] prefix, int prefixLength) {
    if (prefixLength < PREFIX_LENGTH) {
      throw new InvalidCiphertextException();
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (prefix[i] != MAGIC[i]) {
        throw new InvalidCiphertextException();
      }
    }
    int version = prefix[4] & 0xff;
    if (version != FORMAT_VERSION) {
      throw new UnsupportedFormatException(
          "envelope format version " + version + " is not supported (this build reads 1)");
    }
    int suite = prefix[5] & 0xff;
    if (suite != SUITE_AES256GCM_HMAC_SHA256) {
      throw new UnsupportedFormatException(
          "envelope algorithm suite " + suite + " is not supported (this build reads 1)");
    }
    int length = Bytes.getU16(prefix, 6);
    if (length < MIN_HEADER_LENGTH || length > MAX_HEADER_LENGTH) {
      throw new InvalidCiphertextException();
    }
    return length;
  }

  /**
   * The format 1 header at the start of a whole envelope held in memory (copied out of it); {@link
   * Headers} reads either format from arrays, streams and channels.
   *
   * @throws InvalidCiphertextException if the header is malformed or longer than the envelope
   * @throws UnsupportedFormatException if it is of a format this build cannot read
   */
  public static EnvelopeHeader of(byte[] envelope) {
    int length = declaredLength(envelope, envelope.length);
    if (length > envelope.length) {
      throw new InvalidCiphertextException();
    }
    return parse(Arrays.copyOf(envelope, length));
  }

  /**
   * Parses a complete header.
   *
   * @param header exactly the header bytes (length as declared)
   * @return the parsed header; the tag is not verified here
   */
  public static EnvelopeHeader parse(byte[] header) {
    int length = declaredLength(header, header.length);
    if (length != header.length) {
      throw new InvalidCiphertextException();
    }
    int segmentSize = Bytes.getI32(header, 8);
    if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
      throw new InvalidCiphertextException();
    }
    int end = length - TAG_LENGTH - NONCE_PREFIX_LENGTH;
    int p = PREFIX_LENGTH;
    int providerLength = header[p++] & 0xff;
    if (providerLength < 1 || providerLength > ProviderIds.MAX_LENGTH || p + providerLength > end) {
      throw new InvalidCiphertextException();
    }
    String providerId = ascii(header, p, providerLength);
    p += providerLength;
    if (p + 2 > end) {
      throw new InvalidCiphertextException();
    }
    int refLength = Bytes.getU16(header, p);
    p += 2;
    if (refLength < 1 || refLength > MAX_KEY_REFERENCE_LENGTH || p + refLength > end) {
      throw new InvalidCiphertextException();
    }
    String ref = ascii(header, p, refLength);
    p += refLength;
    if (p + 3 > end) {
      throw new InvalidCiphertextException();
    }
    int algId = header[p++] & 0xff;
    int wkLength = Bytes.getU16(header, p);
    p += 2;
    if (wkLength < 1 || wkLength > WrappedKey.MAX_CIPHERTEXT_LENGTH || p + wkLength != end) {
      throw new InvalidCiphertextException();
    }
    WrapAlgorithm alg =
        WrapAlgorithm.fromId(algId)
            .orElseThrow(
                () ->
                    new UnsupportedFormatException(
                        "wrap algorithm " + algId + " is not supported by this build"));
    try {
      ProviderIds.check(providerId);
    } catch (IllegalArgumentException e) {
      throw new InvalidCiphertextException();
    }
    return new EnvelopeHeader(header, segmentSize, providerId, ref, alg, p, wkLength);
  }

  private static String ascii(byte[] b, int off, int len) {
    for (int i = off; i < off + len; i++) {
      if (b[i] <= 0x20 || b[i] >= 0x7f) {
        throw new InvalidCiphertextException();
      }
    }
    return new String(b, off, len, StandardCharsets.US_ASCII);
  }

  /** Writes the commitment tag into the header. */
  public void sealWith(byte[] tag) {
    System.arraycopy(tag, 0, bytes, bytes.length - TAG_LENGTH, TAG_LENGTH);
  }

  /** The header bytes (shared; do not modify). */
  @Override
  public byte[] bytes() {
    return bytes;
  }

  @Override
  public int length() {
    return bytes.length;
  }

  /** Length of the part covered by the tag. */
  public int authenticatedLength() {
    return bytes.length - TAG_LENGTH;
  }

  public int tagOffset() {
    return bytes.length - TAG_LENGTH;
  }

  @Override
  public int segmentSize() {
    return segmentSize;
  }

  /**
   * Length of the part that every envelope under one data key and segment size shares: everything
   * before the nonce prefix.
   */
  public int staticLength() {
    return noncePrefixOffset();
  }

  /** Where the nonce prefix starts. */
  public int noncePrefixOffset() {
    return bytes.length - TAG_LENGTH - NONCE_PREFIX_LENGTH;
  }

  /** The nonce prefix as a number in {@code [0, MAX_NONCE_PREFIX]}. */
  public long noncePrefix() {
    long v = 0;
    int off = noncePrefixOffset();
    for (int i = 0; i < NONCE_PREFIX_LENGTH; i++) {
      v = (v << 8) | (bytes[off + i] & 0xff);
    }
    return v;
  }

  public String providerId() {
    return providerId;
  }

  public String keyReferenceText() {
    return keyReference;
  }

  /**
   * The key reference, parsed once per header (a benign race may parse it twice: the value is
   * immutable).
   *
   * @throws InvalidCiphertextException if it is malformed or names no version
   */
  public KeyReference keyReference() {
    KeyReference r = parsedReference;
    if (r == null) {
      try {
        r = KeyReference.parse(keyReference);
      } catch (IllegalArgumentException e) {
        throw new InvalidCiphertextException();
      }
      if (!r.isVersioned()) {
        throw new InvalidCiphertextException();
      }
      parsedReference = r;
    }
    return r;
  }

  /** The key version this header names, one instance per header (for cache and guard lookups). */
  public KeyVersionId versionId() {
    KeyVersionId v = versionId;
    if (v == null) {
      v = new KeyVersionId(providerId, keyReference);
      versionId = v;
    }
    return v;
  }

  public WrapAlgorithm wrapAlgorithm() {
    return wrapAlgorithm;
  }

  public byte[] wrappedKeyBytes() {
    return Arrays.copyOfRange(bytes, wrappedKeyOffset, wrappedKeyOffset + wrappedKeyLength);
  }

  public int wrappedKeyLength() {
    return wrappedKeyLength;
  }

  /** The bytes that identify the wrapped data key: provider id, key reference, algorithm, key. */
  public byte[] routingBytes() {
    return Arrays.copyOfRange(bytes, routingOffset, staticLength());
  }

  /** Where the routing bytes start. */
  public int routingOffset() {
    return routingOffset;
  }

  @Override
  public int formatVersion() {
    return bytes[4] & 0xff;
  }

  public int suite() {
    return bytes[5] & 0xff;
  }
}
