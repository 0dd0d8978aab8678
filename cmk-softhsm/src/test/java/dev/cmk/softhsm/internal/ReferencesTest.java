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
  void of_invalidName_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> References.of("cmk", "no_underscores", null));
  }
}
