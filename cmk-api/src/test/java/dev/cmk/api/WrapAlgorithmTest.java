package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class WrapAlgorithmTest {
  @Test
  void ids_areStable() {
    // Written into envelopes: changing these breaks every stored envelope.
    assertEquals(1, WrapAlgorithm.RSA_OAEP_256.id());
    assertEquals(2, WrapAlgorithm.RSA_OAEP_SHA1.id());
    assertEquals("RSA-OAEP-256", WrapAlgorithm.RSA_OAEP_256.jwaName());
    assertEquals("RSA-OAEP", WrapAlgorithm.RSA_OAEP_SHA1.jwaName());
  }

  @Test
  void fromId_knownAndUnknown() {
    for (WrapAlgorithm a : WrapAlgorithm.values()) {
      assertEquals(Optional.of(a), WrapAlgorithm.fromId(a.id()));
    }
    assertEquals(Optional.empty(), WrapAlgorithm.fromId(0));
    assertEquals(Optional.empty(), WrapAlgorithm.fromId(3));
    assertEquals(Optional.empty(), WrapAlgorithm.fromId(-1));
  }

  @Test
  void keyType_rsaAndHsmClassification() {
    assertTrue(KeyType.RSA.isRsa() && KeyType.RSA_HSM.isRsa());
    assertFalse(KeyType.EC.isRsa() || KeyType.OCT_HSM.isRsa() || KeyType.OTHER.isRsa());
    assertTrue(KeyType.RSA_HSM.isHsm() && KeyType.EC_HSM.isHsm() && KeyType.OCT_HSM.isHsm());
    assertFalse(KeyType.RSA.isHsm() || KeyType.EC.isHsm() || KeyType.OCT.isHsm());
    assertEquals("RSA-HSM", KeyType.RSA_HSM.jwkName());
    assertEquals("RSA", KeyType.RSA.jwkName());
  }

  @Test
  void oaepParameters_sameHashForOaepAndMgf1_emptyLabel() {
    for (WrapAlgorithm a : WrapAlgorithm.values()) {
      javax.crypto.spec.OAEPParameterSpec p = a.oaepParameters();
      String hash = a == WrapAlgorithm.RSA_OAEP_256 ? "SHA-256" : "SHA-1";
      assertEquals(hash, p.getDigestAlgorithm(), a.name());
      assertEquals(hash, a.digestName());
      assertEquals("MGF1", p.getMGFAlgorithm());
      assertEquals(
          hash,
          ((java.security.spec.MGF1ParameterSpec) p.getMGFParameters()).getDigestAlgorithm());
      assertEquals(
          0, ((javax.crypto.spec.PSource.PSpecified) p.getPSource()).getValue().length, "empty label");
    }
  }

  @Test
  void maxMessageLength_rfc8017Bound() {
    assertEquals(256 - 66, WrapAlgorithm.RSA_OAEP_256.maxMessageLength(256));
    assertEquals(256 - 42, WrapAlgorithm.RSA_OAEP_SHA1.maxMessageLength(256));
    assertEquals(384 - 66, WrapAlgorithm.RSA_OAEP_256.maxMessageLength(384));
  }

  @Test
  void keyOperation_jwkNames() {
    assertEquals("wrapKey", KeyOperation.WRAP_KEY.jwkName());
    assertEquals("unwrapKey", KeyOperation.UNWRAP_KEY.jwkName());
    assertEquals("encrypt", KeyOperation.ENCRYPT.jwkName());
  }
}
