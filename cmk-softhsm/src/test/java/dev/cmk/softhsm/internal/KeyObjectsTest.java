package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xipki.pkcs11.wrapper.AttributeVector;

class KeyObjectsTest {

  private static AttributeVector key(
      Boolean sensitive, Boolean extractable, Boolean alwaysSensitive, Boolean neverExtractable) {
    AttributeVector a = AttributeVector.newRSAPrivateKey();
    if (sensitive != null) {
      a.sensitive(sensitive);
    }
    if (extractable != null) {
      a.extractable(extractable);
    }
    if (alwaysSensitive != null) {
      a.alwaysSensitive(alwaysSensitive);
    }
    if (neverExtractable != null) {
      a.neverExtractable(neverExtractable);
    }
    return a;
  }

  @Test
  void hsmProtected_generatedInTokenNeverExtractable_true() {
    assertTrue(KeyObjects.hsmProtected(key(true, false, true, true)));
    assertTrue(KeyObjects.hsmProtected(key(true, false, null, null)), "history not reported");
  }

  @Test
  void hsmProtected_extractableNotSensitiveOrImported_false() {
    assertFalse(KeyObjects.hsmProtected(key(false, true, false, false)), "extractable import");
    assertFalse(KeyObjects.hsmProtected(key(true, true, true, false)), "extractable now");
    assertFalse(KeyObjects.hsmProtected(key(false, false, false, true)), "not sensitive");
    assertFalse(KeyObjects.hsmProtected(key(true, false, false, false)), "imported in plaintext");
    assertFalse(KeyObjects.hsmProtected(key(true, false, true, false)), "was extractable once");
    assertFalse(KeyObjects.hsmProtected(key(null, null, null, null)), "nothing reported");
  }
}
