package dev.cmk.softhsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.TokenProtection;
import dev.cmk.api.TokenProtection.Property;
import java.util.EnumSet;
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
    assertTrue(KeyObjects.hsmProtected(KeyObjects.protection(key(true, false, true, true))));
    assertTrue(KeyObjects.hsmProtected(KeyObjects.protection(key(true, false, null, null))), "history not reported");
  }

  @Test
  void hsmProtected_extractableNotSensitiveOrImported_false() {
    assertFalse(KeyObjects.hsmProtected(KeyObjects.protection(key(false, true, false, false))), "extractable import");
    assertFalse(KeyObjects.hsmProtected(KeyObjects.protection(key(true, true, true, false))), "extractable now");
    assertFalse(KeyObjects.hsmProtected(KeyObjects.protection(key(false, false, false, true))), "not sensitive");
    assertFalse(KeyObjects.hsmProtected(KeyObjects.protection(key(true, false, false, false))), "imported in plaintext");
    assertFalse(KeyObjects.hsmProtected(KeyObjects.protection(key(true, false, true, false))), "was extractable once");
    assertFalse(KeyObjects.hsmProtected(KeyObjects.protection(key(null, null, null, null))), "nothing reported");
  }

  @Test
  void protection_eachAttribute_attestedRefusedOrUnreported() {
    AttributeVector a =
        key(true, false, true, null).token(true).modifiable(true).destroyable(false);
    TokenProtection p = KeyObjects.protection(a);
    assertEquals(
        EnumSet.of(
            Property.PERSISTENT,
            Property.SENSITIVE,
            Property.ALWAYS_SENSITIVE,
            Property.NOT_EXTRACTABLE,
            Property.NOT_DESTROYABLE),
        p.attested());
    assertEquals(EnumSet.of(Property.NEVER_EXTRACTABLE), p.unreported());
    assertFalse(p.holdsWhereReported(Property.NOT_MODIFIABLE), "CKA_MODIFIABLE true is reported");
  }

  @Test
  void protection_sessionObjectExtractable_attestsNothing() {
    TokenProtection p =
        KeyObjects.protection(
            key(false, true, false, false).token(false).modifiable(true).destroyable(true));
    assertEquals(EnumSet.noneOf(Property.class), p.attested());
    assertEquals(EnumSet.noneOf(Property.class), p.unreported());
  }
}
