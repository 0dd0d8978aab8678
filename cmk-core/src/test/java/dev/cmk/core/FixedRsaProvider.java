package dev.cmk.core;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.testkit.TestKeyDescriptions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * A provider over one fixed RSA key pair, used to pin golden envelopes: plain JDK RSA-OAEP-256, no
 * testkit crypto involved, so the golden files test the format and not the in-memory provider.
 */
final class FixedRsaProvider implements KeyEncryptionKeyProvider {
  static final String ID = "golden";
  static final KeyReference KEY = KeyReference.parse("local:golden-kek/v1");
  private static final OAEPParameterSpec OAEP =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private final KeyPair keyPair;

  FixedRsaProvider(KeyPair keyPair) {
    this.keyPair = keyPair;
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public boolean serves(KeyReference reference) {
    return reference.sameKeyAs(KEY);
  }

  @Override
  public KeyDescription describe(KeyReference reference) {
    if (!serves(reference)) {
      throw new KeyNotFoundException("unknown key", reference);
    }
    return TestKeyDescriptions.usable(
        KEY, KeyType.RSA, ((RSAPublicKey) keyPair.getPublic()).getModulus().bitLength());
  }

  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    try {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(Cipher.ENCRYPT_MODE, keyPair.getPublic(), OAEP);
      byte[] k = dataKey.copy();
      try {
        return new WrappedKey(ID, KEY, WrapAlgorithm.RSA_OAEP_256, c.doFinal(k));
      } finally {
        java.util.Arrays.fill(k, (byte) 0);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    if (!wrappedKey.keyReference().equals(KEY)) {
      throw new KeyNotFoundException("unknown key version", wrappedKey.keyReference());
    }
    try {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(Cipher.DECRYPT_MODE, keyPair.getPrivate(), OAEP);
      return SecretBytes.wrapOwned(c.doFinal(wrappedKey.ciphertext()));
    } catch (GeneralSecurityException e) {
      throw new InvalidCiphertextException();
    }
  }

  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    return Optional.of(keyPair.getPublic());
  }
}
