package dev.cmk.testkit.keyvault;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals key backups of one {@link LoopbackKeyVault} (AES-256-GCM under a key made at start-up and
 * never shown): a blob is opaque to clients and restorable only on the server that made it, as a
 * real backup is only restorable within its subscription and geography. A blob that does not open
 * is 400 {@code BadParameter}. Thread-safe.
 */
final class BackupSeal {
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;

  private final SecretKey key;
  private final SecureRandom random;

  BackupSeal(SecureRandom random) {
    this.random = random;
    try {
      KeyGenerator generator = KeyGenerator.getInstance("AES");
      generator.init(256, random);
      this.key = generator.generateKey();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES unavailable", e);
    }
  }

  byte[] seal(byte[] content) {
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = c.doFinal(content);
      return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  byte[] open(byte[] blob) {
    if (blob.length <= NONCE) {
      throw invalid();
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, blob, 0, NONCE));
      return c.doFinal(blob, NONCE, blob.length - NONCE);
    } catch (GeneralSecurityException e) {
      throw invalid();
    }
  }

  private static KeyVaultError invalid() {
    return KeyVaultError.badParameter("The backup blob is corrupt or was not made by this service.");
  }
}
