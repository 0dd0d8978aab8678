package dev.cmk.core.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The inclusive bounds of the header's fields, on both sides of each bound: segment size and
 * nonce prefix when writing, segment size and printable key-reference bytes when parsing.
 */
class EnvelopeHeaderBoundsTest {
  private static final WrappedKey WRAPPED =
      new WrappedKey(
          "in-memory", KeyReference.local("k", "00000001"), WrapAlgorithm.RSA_OAEP_256,
          new byte[256]);
  /** Where the key reference's text starts: prefix, provider id length and id, reference length. */
  private static final int REFERENCE_OFFSET =
      EnvelopeHeader.PREFIX_LENGTH + 1 + "in-memory".length() + 2;

  @Test
  void checkSegmentSize_atEachBound_accepted_andOneBeyond_rejected() {
    assertDoesNotThrow(() -> EnvelopeHeader.checkSegmentSize(EnvelopeHeader.MIN_SEGMENT_SIZE));
    assertDoesNotThrow(() -> EnvelopeHeader.checkSegmentSize(EnvelopeHeader.MAX_SEGMENT_SIZE));
    assertThrows(IllegalArgumentException.class,
        () -> EnvelopeHeader.checkSegmentSize(EnvelopeHeader.MIN_SEGMENT_SIZE - 1));
    assertThrows(IllegalArgumentException.class,
        () -> EnvelopeHeader.checkSegmentSize(EnvelopeHeader.MAX_SEGMENT_SIZE + 1));
  }

  @Test
  void create_segmentSizeBelowMinimum_rejected() {
    assertThrows(IllegalArgumentException.class,
        () -> EnvelopeHeader.create(EnvelopeHeader.MIN_SEGMENT_SIZE - 1, 0, WRAPPED));
  }

  @Test
  void create_noncePrefixAtEachBound_kept_andOneBeyond_rejected() {
    int size = EnvelopeHeader.MIN_SEGMENT_SIZE;
    assertEquals(0, EnvelopeHeader.create(size, 0, WRAPPED).noncePrefix());
    assertEquals(EnvelopeHeader.MAX_NONCE_PREFIX,
        EnvelopeHeader.create(size, EnvelopeHeader.MAX_NONCE_PREFIX, WRAPPED).noncePrefix());
    assertThrows(IllegalArgumentException.class, () -> EnvelopeHeader.create(size, -1, WRAPPED));
    assertThrows(IllegalArgumentException.class,
        () -> EnvelopeHeader.create(size, EnvelopeHeader.MAX_NONCE_PREFIX + 1, WRAPPED));
  }

  @Test
  void parse_segmentSizeAtEachBound_accepted_andOneBeyond_invalid() {
    assertEquals(EnvelopeHeader.MIN_SEGMENT_SIZE,
        EnvelopeHeader.parse(withSegmentSize(EnvelopeHeader.MIN_SEGMENT_SIZE)).segmentSize());
    assertEquals(EnvelopeHeader.MAX_SEGMENT_SIZE,
        EnvelopeHeader.parse(withSegmentSize(EnvelopeHeader.MAX_SEGMENT_SIZE)).segmentSize());
    assertThrows(InvalidCiphertextException.class,
        () -> EnvelopeHeader.parse(withSegmentSize(EnvelopeHeader.MIN_SEGMENT_SIZE - 1)));
    assertThrows(InvalidCiphertextException.class,
        () -> EnvelopeHeader.parse(withSegmentSize(EnvelopeHeader.MAX_SEGMENT_SIZE + 1)));
  }

  @Test
  void parse_keyReferenceBytes_printableBoundsAccepted_spaceAndDelInvalid() {
    assertEquals("local:k/00000001",
        EnvelopeHeader.parse(header()).keyReferenceText());
    assertEquals("!ocal:k/00000001",
        EnvelopeHeader.parse(withReferenceByte((byte) 0x21)).keyReferenceText());
    assertEquals("~ocal:k/00000001",
        EnvelopeHeader.parse(withReferenceByte((byte) 0x7e)).keyReferenceText());
    assertThrows(InvalidCiphertextException.class,
        () -> EnvelopeHeader.parse(withReferenceByte((byte) 0x20)));
    assertThrows(InvalidCiphertextException.class,
        () -> EnvelopeHeader.parse(withReferenceByte((byte) 0x7f)));
  }

  private static byte[] header() {
    return EnvelopeHeader.create(EnvelopeHeader.MIN_SEGMENT_SIZE, 7, WRAPPED).bytes().clone();
  }

  private static byte[] withSegmentSize(int segmentSize) {
    byte[] b = header();
    ByteBuffer.wrap(b).putInt(8, segmentSize);
    return b;
  }

  private static byte[] withReferenceByte(byte first) {
    byte[] b = header();
    assertEquals('l', b[REFERENCE_OFFSET]); // the layout this test assumes
    b[REFERENCE_OFFSET] = first;
    return b;
  }
}
