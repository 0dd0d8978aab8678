package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class WrappedKeyTest {
  private static final KeyReference V1 = KeyReference.local("k", "v1");

  private static WrappedKey wrapped(byte[] ct) {
    return new WrappedKey("in-memory", V1, WrapAlgorithm.RSA_OAEP_256, ct);
  }

  @Test
  void ciphertext_isCopiedInAndOut() {
    byte[] ct = {1, 2, 3};
    WrappedKey w = wrapped(ct);
    ct[0] = 9;
    byte[] out = w.ciphertext();
    assertArrayEquals(new byte[] {1, 2, 3}, out);
    out[1] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, w.ciphertext());
    assertEquals(3, w.ciphertextLength());
  }

  @Test
  void equals_comparesCiphertextContents() {
    assertEquals(wrapped(new byte[] {1, 2}), wrapped(new byte[] {1, 2}));
    assertEquals(wrapped(new byte[] {1, 2}).hashCode(), wrapped(new byte[] {1, 2}).hashCode());
    assertNotEquals(wrapped(new byte[] {1, 2}), wrapped(new byte[] {1, 3}));
    assertNotEquals(
        wrapped(new byte[] {1}), new WrappedKey("other", V1, WrapAlgorithm.RSA_OAEP_256, new byte[] {1}));
    assertNotEquals(
        wrapped(new byte[] {1}), new WrappedKey("in-memory", V1, WrapAlgorithm.RSA_OAEP_SHA1, new byte[] {1}));
    assertNotEquals(
        wrapped(new byte[] {1}),
        new WrappedKey("in-memory", V1.withVersion("v2"), WrapAlgorithm.RSA_OAEP_256, new byte[] {1}));
  }

  @Test
  void constructor_versionlessReference_isRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new WrappedKey("in-memory", V1.versionless(), WrapAlgorithm.RSA_OAEP_256, new byte[1]));
    assertTrue(e.getMessage().contains("version"), e.getMessage());
  }

  @Test
  void constructor_ciphertextLengthOutOfBounds_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> wrapped(new byte[0]));
    assertThrows(
        IllegalArgumentException.class, () -> wrapped(new byte[WrappedKey.MAX_CIPHERTEXT_LENGTH + 1]));
    assertEquals(1024, wrapped(new byte[WrappedKey.MAX_CIPHERTEXT_LENGTH]).ciphertextLength());
  }

  @Test
  void constructor_invalidProviderId_isRejected() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new WrappedKey("In Memory", V1, WrapAlgorithm.RSA_OAEP_256, new byte[1]));
  }

  @Test
  void constructor_nulls_throwNullPointerNamingField() {
    byte[] ct = new byte[1];
    assertEquals("providerId", assertThrows(NullPointerException.class,
        () -> new WrappedKey(null, V1, WrapAlgorithm.RSA_OAEP_256, ct)).getMessage());
    assertEquals("keyReference", assertThrows(NullPointerException.class,
        () -> new WrappedKey("p", null, WrapAlgorithm.RSA_OAEP_256, ct)).getMessage());
    assertEquals("algorithm", assertThrows(NullPointerException.class,
        () -> new WrappedKey("p", V1, null, ct)).getMessage());
    assertEquals("ciphertext", assertThrows(NullPointerException.class,
        () -> new WrappedKey("p", V1, WrapAlgorithm.RSA_OAEP_256, null)).getMessage());
  }

  @Test
  void toString_showsAbbreviatedCiphertextAndLength() {
    byte[] ct = new byte[256];
    for (int i = 0; i < ct.length; i++) {
      ct[i] = (byte) i;
    }
    String s = wrapped(ct).toString();
    assertTrue(s.contains("provider=in-memory") && s.contains("key=local:k/v1"), s);
    assertTrue(s.contains("RSA-OAEP-256") && s.contains("(256 bytes)"), s);
    assertFalse(s.contains(Base64.getEncoder().encodeToString(ct)), "not the whole ciphertext");
  }
}
