package dev.cmk.benchmarks.blob;

import com.azure.core.cryptography.AsyncKeyEncryptionKey;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.MGF1ParameterSpec;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import reactor.core.publisher.Mono;

/**
 * A local RSA-2048 key-encryption key for {@code EncryptedBlobClient}: RSA-OAEP-256 (SHA-256,
 * MGF1-SHA-256), the wrap cmk's in-memory provider uses too. Counts unwraps. Thread-safe.
 */
final class LocalRsaKek implements AsyncKeyEncryptionKey {
  static final String ALGORITHM = "RSA-OAEP-256";
  private static final OAEPParameterSpec SPEC = new OAEPParameterSpec(
      "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private final KeyPair pair;
  final AtomicLong unwraps = new AtomicLong();

  LocalRsaKek() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    this.pair = g.generateKeyPair();
  }

  @Override
  public Mono<String> getKeyId() {
    return Mono.just("local-rsa-kek");
  }

  @Override
  public Mono<byte[]> wrapKey(String algorithm, byte[] key) {
    return Mono.fromCallable(() -> {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(Cipher.ENCRYPT_MODE, pair.getPublic(), SPEC);
      return c.doFinal(key);
    });
  }

  @Override
  public Mono<byte[]> unwrapKey(String algorithm, byte[] encryptedKey) {
    return Mono.fromCallable(() -> {
      unwraps.incrementAndGet();
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(Cipher.DECRYPT_MODE, pair.getPrivate(), SPEC);
      return c.doFinal(encryptedKey);
    });
  }
}
