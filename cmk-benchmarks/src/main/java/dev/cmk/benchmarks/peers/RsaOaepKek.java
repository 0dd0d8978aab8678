package dev.cmk.benchmarks.peers;

import com.google.crypto.tink.Aead;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.spec.MGF1ParameterSpec;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * A local RSA-2048 key-encryption key as the "remote" {@link Aead} that Tink's {@code
 * KmsEnvelopeAead} wraps its data keys with: RSA-OAEP with SHA-256 and MGF1-SHA-256, the same wrap
 * cmk and the AWS ESDK use here. {@code KmsEnvelopeAead} hands the KEK an empty associated data, so
 * {@code associatedData} must be empty. Counts unwraps (decrypt calls).
 *
 * <p>Thread-safe: a new {@link Cipher} per call.
 */
final class RsaOaepKek implements Aead {
  private static final OAEPParameterSpec SPEC =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private final KeyPair pair;
  private final AtomicLong unwraps = new AtomicLong();

  RsaOaepKek(KeyPair pair) {
    this.pair = pair;
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
    requireEmpty(associatedData);
    Cipher c = Cipher.getInstance(Peers.OAEP);
    c.init(Cipher.ENCRYPT_MODE, pair.getPublic(), SPEC);
    return c.doFinal(plaintext);
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
    requireEmpty(associatedData);
    unwraps.incrementAndGet();
    Cipher c = Cipher.getInstance(Peers.OAEP);
    c.init(Cipher.DECRYPT_MODE, pair.getPrivate(), SPEC);
    return c.doFinal(ciphertext);
  }

  /** Unwraps (RSA private-key operations) so far. */
  long unwraps() {
    return unwraps.get();
  }

  private static void requireEmpty(byte[] associatedData) throws GeneralSecurityException {
    if (associatedData != null && associatedData.length != 0) {
      throw new GeneralSecurityException("RSA-OAEP KEK takes no associated data");
    }
  }
}
