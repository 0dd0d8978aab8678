package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Header parsing: bounds, versions, foreign input, inspect. */
class EnvelopeFormatTest {
  private static final byte[] AAD = "x".getBytes(StandardCharsets.UTF_8);
  private static final EnvelopeCrypto CRYPTO = TestKeys.crypto(1024);

  @Test
  void inspect_reportsHeaderFieldsWithoutUnwrapping() {
    long unwraps = TestKeys.provider().unwrapCount();
    byte[] envelope = CRYPTO.encrypt(new byte[3000], AAD);
    EnvelopeInfo info = EnvelopeInfo.of(envelope);
    assertEquals(1, info.formatVersion());
    assertEquals(TestKeys.provider().id(), info.providerId());
    assertEquals(TestKeys.key(), info.keyReference());
    assertEquals(WrapAlgorithm.RSA_OAEP_256, info.wrapAlgorithm());
    assertEquals(256, info.wrappedKeyLength());
    assertEquals(1024, info.segmentSize());
    assertEquals(3000, info.plaintextLength().getAsLong());
    assertEquals(envelope.length, info.envelopeLength().getAsLong());
    assertEquals(info.headerLength() + 3 * 16, info.overhead().getAsLong());
    assertEquals(unwraps, TestKeys.provider().unwrapCount());
  }

  @Test
  void inspect_stream_readsOnlyTheHeader() throws Exception {
    byte[] envelope = CRYPTO.encrypt(new byte[3000], AAD);
    ByteArrayInputStream in = new ByteArrayInputStream(envelope);
    EnvelopeInfo info = EnvelopeInfo.read(in);
    assertEquals(envelope.length - info.headerLength(), in.available());
    assertTrue(info.plaintextLength().isEmpty());
  }

  @Test
  void decrypt_futureFormatVersion_unsupportedFormat() {
    byte[] envelope = CRYPTO.encrypt(new byte[10], AAD);
    envelope[4] = 3; // this build reads formats 1 and 2
    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> CRYPTO.decrypt(envelope, AAD));
    assertTrue(e.getMessage().contains("version 3"));
    assertThrows(UnsupportedFormatException.class, () -> EnvelopeInfo.of(envelope));
  }

  @Test
  void decrypt_unknownSuite_unsupportedFormat() {
    byte[] envelope = CRYPTO.encrypt(new byte[10], AAD);
    envelope[5] = 9;
    assertThrows(UnsupportedFormatException.class, () -> CRYPTO.decrypt(envelope, AAD));
  }

  @Test
  void decrypt_foreignBytes_invalidCiphertext() {
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(new byte[0], AAD));
    assertThrows(
        InvalidCiphertextException.class,
        () -> CRYPTO.decrypt("{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8), AAD));
    byte[] zip = {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(zip, AAD));
  }

  @Test
  void decrypt_headerLengthBeyondBound_rejectedBeforeAllocation() throws Exception {
    byte[] prefix = {'C', 'M', 'K', 'E', 1, 1, (byte) 0xFF, (byte) 0xFF, 0, 1, 0, 0};
    assertThrows(InvalidCiphertextException.class, () -> CRYPTO.decrypt(prefix, AAD));
    assertThrows(
        InvalidCiphertextException.class,
        () -> CRYPTO.decryptingStream(new ByteArrayInputStream(prefix), AAD));
  }

  @Test
  void decrypt_envelopeOfUnconfiguredProvider_keyNotFound() {
    InMemoryKeyProvider other = InMemoryKeyProvider.builder().id("other-provider").build();
    EnvelopeCrypto foreign =
        EnvelopeCrypto.builder()
            .provider(other)
            .writeKey(other.manager().createKey("foreign", 2048))
            .build();
    byte[] envelope = foreign.encrypt(new byte[5], AAD);
    KeyNotFoundException e =
        assertThrows(KeyNotFoundException.class, () -> CRYPTO.decrypt(envelope, AAD));
    assertTrue(e.getMessage().contains("other-provider"));
  }

  @Test
  void builder_twoProvidersOfOneKindServingTheWriteKey_ambiguousWriteRejected() {
    // Several providers of one kind may coexist (vaults, HSMs, identities: see KeyringTest); a
    // write key that two of them serve is ambiguous and refused at build time.
    InMemoryKeyProvider a = InMemoryKeyProvider.builder().id("same").build();
    InMemoryKeyProvider b = InMemoryKeyProvider.builder().id("same").build();
    KeyReference key = a.manager().createKey("k", 2048);
    assertNotNull(EnvelopeCrypto.builder().provider(a).provider(b).build());
    assertThrows(
        IllegalStateException.class,
        () -> EnvelopeCrypto.builder().provider(a).provider(b).writeKey(key).build());
  }

  @Test
  void builder_settingTwice_rejected() {
    assertThrows(
        IllegalStateException.class,
        () -> EnvelopeCrypto.builder().segmentSize(1024).segmentSize(2048));
    assertThrows(IllegalArgumentException.class, () -> EnvelopeCrypto.builder().segmentSize(100));
    assertThrows(IllegalStateException.class, () -> EnvelopeCrypto.builder().build());
  }

  @Test
  void encrypt_withoutWriteKey_refusedBeforeAnythingIsProduced() {
    EnvelopeCrypto readOnly = EnvelopeCrypto.builder().provider(TestKeys.provider()).build();
    assertThrows(IllegalStateException.class, () -> readOnly.encrypt(new byte[1], AAD));
  }

  @Test
  void overhead_rsa2048LocalKey_isHeaderPlusOneTag() {
    byte[] envelope = CRYPTO.encrypt(new byte[1024], AAD);
    EnvelopeInfo info = EnvelopeInfo.of(envelope);
    // 12 prefix + 1+9 provider + 2+ref + 1 alg + 2+256 wrapped key + 7 nonce prefix + 32 tag
    int expectedHeader = 12 + 1 + info.providerId().length() + 2
        + info.keyReference().toString().length() + 1 + 2 + 256 + 7 + 32;
    assertEquals(expectedHeader, info.headerLength());
    assertEquals(expectedHeader + 16, info.overhead().getAsLong());
  }

  @Property(tries = 2000)
  void decrypt_arbitraryBytes_onlyDocumentedExceptions(@ForAll @Size(max = 600) byte[] junk) {
    byte[] withMagic = junk.clone();
    if (withMagic.length >= 6) {
      System.arraycopy(new byte[] {'C', 'M', 'K', 'E', 1, 1}, 0, withMagic, 0, 6);
    }
    for (byte[] input : new byte[][] {junk, withMagic}) {
      try {
        CRYPTO.decrypt(input, AAD);
      } catch (InvalidCiphertextException | UnsupportedFormatException | KeyNotFoundException e) {
        continue;
      }
      throw new AssertionError("accepted junk " + Arrays.toString(input));
    }
  }

  @Property(tries = 300)
  void decrypt_validHeaderWithMutatedLengths_onlyDocumentedExceptions(
      @ForAll @Size(min = 1, max = 8) int[] positions, @ForAll byte value) {
    byte[] envelope = CRYPTO.encrypt(new byte[300], AAD);
    EnvelopeInfo info = EnvelopeInfo.of(envelope);
    for (int p : positions) {
      envelope[Math.floorMod(p, info.headerLength())] = value;
    }
    try {
      assertArrayEquals(new byte[300], CRYPTO.decrypt(envelope, AAD));
    } catch (InvalidCiphertextException | UnsupportedFormatException | KeyNotFoundException e) {
      // documented
    }
  }
}
