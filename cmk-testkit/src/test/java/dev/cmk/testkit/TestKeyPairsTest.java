package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

class TestKeyPairsTest {

  @Test
  void rsa_sameSizeTwice_returnsTheSamePairOfThatSize() {
    assertSame(TestKeyPairs.rsa(2048), TestKeyPairs.rsa2048());
    RSAPublicKey pub = (RSAPublicKey) TestKeyPairs.rsa2048().getPublic();
    assertEquals(2048, pub.getModulus().bitLength());
    assertEquals(BigInteger.valueOf(65537), pub.getPublicExponent());
  }

  @Test
  void otherRsa_isADifferentKey() {
    assertNotEquals(
        ((RSAPublicKey) TestKeyPairs.rsa2048().getPublic()).getModulus(),
        ((RSAPublicKey) TestKeyPairs.otherRsa(2048).getPublic()).getModulus());
    assertSame(TestKeyPairs.otherRsa(2048), TestKeyPairs.otherRsa(2048));
  }

  @Test
  void rsa_unofferedSize_throwsIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> TestKeyPairs.rsa(1024));
  }
}
