package dev.cmk.examples.dicom;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;

/** One RSA-2048 pair shared by every test: generating one costs up to a second or two. */
final class TestKeys {
  static final KeyPair RSA_2048 = generate();

  private TestKeys() {}

  private static KeyPair generate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
