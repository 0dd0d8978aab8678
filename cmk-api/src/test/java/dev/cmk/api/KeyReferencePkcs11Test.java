package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link KeyReference#pkcs11}: a PKCS#11 reference from decoded attribute values. */
class KeyReferencePkcs11Test {

  @Test
  void pkcs11_versioned_isCanonicalRfc7512Reference() {
    KeyReference r = KeyReference.pkcs11("cmk", "patient-data", "v0001");
    assertEquals("pkcs11:token=cmk;object=patient-data;id=v0001", r.toString());
    assertEquals(KeyReference.Kind.PKCS11, r.kind());
    assertEquals("cmk", r.authority());
    assertEquals("patient-data", r.name());
    assertEquals("v0001", r.version().orElseThrow());
  }

  @Test
  void pkcs11_labelWithSpacesAndSemicolon_isPercentEncodedAndDecodedBack() {
    KeyReference r = KeyReference.pkcs11("HSM 1;prod", "k", null);
    assertEquals("pkcs11:token=HSM%201%3Bprod;object=k", r.toString());
    assertEquals("HSM 1;prod", r.authority());
    assertFalse(r.isVersioned());
    assertEquals(r, KeyReference.parse(r.toString()));
  }

  @Test
  void pkcs11_anyLabelAndBinaryVersion_roundTripThroughTheReference() {
    KeyReference r = KeyReference.pkcs11("cmk", "HSM admin key_1~", "%01%02");
    assertEquals("pkcs11:token=cmk;object=HSM%20admin%20key_1~;id=%01%02", r.toString());
    assertEquals("HSM admin key_1~", r.name());
    assertEquals("%01%02", r.version().orElseThrow());
    assertEquals(r, KeyReference.parse(r.toString()));
  }

  @Test
  void pkcs11_versionInAnyEncoding_isCanonical() {
    assertEquals(
        KeyReference.pkcs11("cmk", "k", "v2"), KeyReference.pkcs11("cmk", "k", "%76%32"));
    assertEquals("%7E", KeyReference.pkcs11("cmk", "k", "%7e").version().orElseThrow());
  }

  @Test
  void pkcs11_noToken_omitsTheTokenAttribute() {
    assertEquals("pkcs11:object=k", KeyReference.pkcs11("", "k", null).toString());
  }

  @Test
  void pkcs11_invalidPart_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> KeyReference.pkcs11("cmk", "line\nbreak", null));
    assertThrows(IllegalArgumentException.class, () -> KeyReference.pkcs11("cmk", "", null));
    assertThrows(IllegalArgumentException.class, () -> KeyReference.pkcs11("cmk", "k", "a;b"));
    assertThrows(IllegalArgumentException.class, () -> KeyReference.pkcs11("cmk", "k", ""));
    assertThrows(
        IllegalArgumentException.class, () -> KeyReference.pkcs11("t".repeat(33), "k", null));
    assertThrows(NullPointerException.class, () -> KeyReference.pkcs11("cmk", null, null));
  }
}
