package dev.cmk.core.fuzz;

import static dev.cmk.core.fuzz.FuzzFixture.AAD;
import static dev.cmk.core.fuzz.FuzzFixture.READER;
import static dev.cmk.core.fuzz.FuzzFixture.allocatedBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.internal.EnvelopeHeader;
import dev.cmk.testkit.MemoryChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Envelope size limits: a header that claims a huge header, segment, wrapped key or key reference
 * is rejected before anything of that size is allocated, after reading a bounded number of bytes
 * from a source that would otherwise supply gigabytes. Allocation is measured with the JVM's
 * per-thread allocation counter, so "before allocation" is checked, not assumed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EnvelopeSizeLimitsTest {
  private static final long FOUR_GIB = 4L << 30;
  /** Far below any claimed size here; above an RSA unwrap and the header copies. */
  private static final long SMALL = 1L << 20;

  private final byte[] validEnvelope = FuzzFixture.writer(256).encrypt(FuzzFixture.plaintext(700),
      AAD);
  private final EnvelopeInfo validInfo = EnvelopeInfo.of(validEnvelope);
  private final byte[] validWrappedKey =
      EnvelopeHeader.parse(Arrays.copyOf(validEnvelope, validInfo.headerLength())).wrappedKeyBytes();

  @Test
  void decryptingStream_headerClaims64KiBHeader_rejectedAfterTwelveBytes() {
    byte[] header = new RawHeader().headerLength(0xFFFF).toBytes();
    CountingInputStream source = new CountingInputStream(Arrays.copyOf(header, 12), FOUR_GIB);
    assertRejectedSmall(() -> READER.decryptingStream(source, AAD));
    assertEquals(12, source.count());
  }

  @Test
  void decryptingStream_headerClaims2GiBSegment_rejectedWithinTheHeader() {
    byte[] header = new RawHeader().segmentSize(0x8000_0000L).wrappedKey(validWrappedKey)
        .toBytes();
    CountingInputStream source = new CountingInputStream(header, FOUR_GIB);
    assertRejectedSmall(() -> READER.decryptingStream(source, AAD));
    assertEquals(header.length, source.count(), "read past the declared header");
  }

  @Test
  void decryptingStream_headerClaims4GiBSegment_rejectedWithinTheHeader() {
    byte[] header = new RawHeader().segmentSize(0xFFFF_FFFFL).wrappedKey(validWrappedKey)
        .toBytes();
    CountingInputStream source = new CountingInputStream(header, FOUR_GIB);
    assertRejectedSmall(() -> READER.decryptingStream(source, AAD));
    assertEquals(header.length, source.count());
  }

  @Test
  void decryptingStream_unauthenticated16MiBSegment_rejectedBeforeSegmentBuffersExist() {
    // 16 MiB is a legal segment size, so parsing accepts it; the commitment tag (zeros here) does
    // not verify, and the 2 x 16 MiB segment buffers must never be allocated.
    byte[] header = new RawHeader().segmentSize(16 << 20).wrappedKey(validWrappedKey).toBytes();
    CountingInputStream source = new CountingInputStream(header, FOUR_GIB);
    assertRejectedSmall(() -> READER.decryptingStream(source, AAD));
    assertEquals(header.length, source.count());
  }

  @Test
  void decryptingStream_headerClaims64KiBWrappedKey_rejectedWithinTheHeader() {
    byte[] header = new RawHeader().wrappedKeyLength(0xFFFF).wrappedKey(validWrappedKey)
        .toBytes();
    CountingInputStream source = new CountingInputStream(header, FOUR_GIB);
    assertRejectedSmall(() -> READER.decryptingStream(source, AAD));
    assertEquals(header.length, source.count());
  }

  @Test
  void decryptingStream_headerClaims64KiBKeyReference_rejectedWithinTheHeader() {
    byte[] header = new RawHeader().keyReferenceLength(0xFFFF).wrappedKey(validWrappedKey)
        .toBytes();
    CountingInputStream source = new CountingInputStream(header, FOUR_GIB);
    assertRejectedSmall(() -> READER.decryptingStream(source, AAD));
    assertEquals(header.length, source.count());
  }

  @Test
  void decrypt_headerClaims2GiBSegment_rejectedBeforeAllocation() {
    byte[] envelope = concat(
        new RawHeader().segmentSize(0x8000_0000L).wrappedKey(validWrappedKey).toBytes(),
        Arrays.copyOfRange(validEnvelope, validInfo.headerLength(), validEnvelope.length));
    assertRejectedSmall(() -> READER.decrypt(envelope, AAD));
  }

  @Test
  void inspect_headerClaims2GiBSegment_rejectedWithinTheHeader() {
    byte[] header = new RawHeader().segmentSize(0x8000_0000L).toBytes();
    CountingInputStream source = new CountingInputStream(header, FOUR_GIB);
    assertRejectedSmall(() -> EnvelopeInfo.read(source));
    assertEquals(header.length, source.count());
  }

  @Test
  void rangeReader_fileClaims2GiBWith2GiBSegments_rejectedAfterTheHeader() {
    byte[] header = new RawHeader().segmentSize(0x8000_0000L).wrappedKey(validWrappedKey)
        .toBytes();
    MemoryChannel channel = MemoryChannel.claimingSize(header, (2L << 30) + header.length + 16);
    assertRejectedSmall(() -> READER.rangeReader(channel, AAD));
    assertTrue(channel.bytesRead() <= header.length, "read " + channel.bytesRead());
  }

  @Test
  void rangeReader_authenticHeaderButFileClaims1TiB_rejectedWithoutReadingTheBody() {
    // The header authenticates; the size is only the file system's word, so the reader must
    // authenticate the last segment (which is not there) before believing it.
    byte[] header = Arrays.copyOf(validEnvelope, validInfo.headerLength());
    MemoryChannel channel = MemoryChannel.claimingSize(header, 1L << 40);
    assertRejectedSmall(() -> READER.rangeReader(channel, AAD));
    assertEquals(header.length, channel.bytesRead());
  }

  @Test
  void rangeReader_fileClaimsMoreSegmentsThanTheFormatAllows_rejectedAfterTheHeader() {
    // 2^32 + 1 segments of 256 bytes would overflow the 32-bit segment counter of the nonce.
    byte[] header = Arrays.copyOf(validEnvelope, validInfo.headerLength());
    long size = header.length + ((1L << 32) + 1) * (256 + 16);
    MemoryChannel channel = MemoryChannel.claimingSize(header, size);
    assertRejectedSmall(() -> READER.rangeReader(channel, AAD));
    assertEquals(header.length, channel.bytesRead());
  }

  private static void assertRejectedSmall(Executable call) {
    long before = allocatedBytes();
    assertThrows(InvalidCiphertextException.class, call);
    long used = allocatedBytes() - before;
    assertTrue(used < SMALL, "allocated " + used + " bytes to reject a lying header");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
