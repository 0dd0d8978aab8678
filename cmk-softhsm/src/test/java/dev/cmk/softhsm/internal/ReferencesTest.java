package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.KeyReference;
import org.junit.jupiter.api.Test;

class ReferencesTest {

  @Test
  void of_versioned_isCanonicalRfc7512Reference() {
    KeyReference r = References.of("cmk", "patient-data", "v0001");
    assertEquals("pkcs11:token=cmk;object=patient-data;id=v0001", r.toString());
    assertEquals("cmk", r.authority());
    assertEquals("patient-data", r.name());
    assertEquals("v0001", r.version().orElseThrow());
  }

  @Test
  void of_labelWithSpacesAndSemicolon_isPercentEncodedAndDecodedBack() {
    KeyReference r = References.of("HSM 1;prod", "k", null);
    assertEquals("pkcs11:token=HSM%201%3Bprod;object=k", r.toString());
    assertEquals("HSM 1;prod", r.authority());
    assertFalse(r.isVersioned());
  }

  @Test
  void of_anyLabelAndBinaryVersion_roundTripThroughTheReference() {
    KeyReference r = References.of("cmk", "HSM admin key_1", "%01%02");
    assertEquals("pkcs11:token=cmk;object=HSM%20admin%20key_1;id=%01%02", r.toString());
    assertEquals("HSM admin key_1", r.name());
    assertEquals("%01%02", r.version().orElseThrow());
    assertEquals(r, KeyReference.parse(r.toString()));
  }

  @Test
  void of_invalidName_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> References.of("cmk", "line\nbreak", null));
    assertThrows(IllegalArgumentException.class, () -> References.of("cmk", "", null));
    assertThrows(IllegalArgumentException.class, () -> References.of("cmk", "k", "a;b"));
  }
}
