package dev.cmk.testkit;

import static dev.cmk.testkit.ContractKeys.DATA_KEY_LENGTH;
import static dev.cmk.testkit.ContractKeys.RANDOM;
import static dev.cmk.testkit.ContractKeys.assertRoundTrip;
import static dev.cmk.testkit.ContractKeys.defaultSize;
import static dev.cmk.testkit.ContractKeys.randomDataKey;
import static dev.cmk.testkit.ContractKeys.sharedKey;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The wrap/unwrap contract: round trips for every {@linkplain ContractSubject#keySizes() key size},
 * wrapped keys naming the exact version and the provider id, randomised and non-destructive wrap,
 * versionless references refused, public keys (where exposed) interoperating with the JDK's
 * RSA-OAEP-256, and correctness under concurrent use.
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public interface WrapUnwrapContract {
  /** Eight threads in the concurrency test. */
  int THREADS = 8;

  /**
   * The provider under test and how to manage its keys.
   *
   * @return the subject
   */
  ContractSubject subject();

  /** Every configured key size wraps and unwraps a 32-byte data key. */
  @Test
  default void wrapUnwrap_roundTrip_returnsSameDataKey() {
    List<Executable> checks = new ArrayList<>();
    for (int size : subject().keySizes()) {
      checks.add(
          () -> assertRoundTrip(subject().provider(), sharedKey(subject(), "size", size), "RSA-" + size));
    }
    assertAll(checks);
  }

  /** The wrapped key names the provider and the exact version used. */
  @Test
  default void wrap_versionedReference_namesVersionAndProviderId() {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference version = sharedKey(subject());
    WrappedKey wrapped = provider.wrap(version, randomDataKey());
    assertEquals(version, wrapped.keyReference());
    assertEquals(provider.id(), wrapped.providerId());
    assertNotNull(wrapped.algorithm());
    assertTrue(
        wrapped.ciphertextLength() >= defaultSize(subject()) / 8,
        "an RSA-OAEP wrapped key is one modulus-sized block");
  }

  /** RSA-OAEP is randomised: wrapping the same data key twice gives different bytes. */
  @Test
  default void wrap_sameDataKeyTwice_producesDifferentCiphertexts() {
    KeyReference version = sharedKey(subject());
    SecretBytes dataKey = randomDataKey();
    WrappedKey a = subject().provider().wrap(version, dataKey);
    WrappedKey b = subject().provider().wrap(version, dataKey);
    assertFalse(Arrays.equals(a.ciphertext(), b.ciphertext()));
  }

  /** Wrap neither destroys nor changes the caller's data key. */
  @Test
  default void wrap_dataKey_isNotModifiedOrDestroyed() {
    byte[] bytes = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(bytes);
    SecretBytes dataKey = SecretBytes.copyOf(bytes);
    subject().provider().wrap(sharedKey(subject()), dataKey);
    assertFalse(dataKey.isDestroyed());
    assertArrayEquals(bytes, dataKey.copy());
  }

  /** A versionless reference is a programming error for wrap. */
  @Test
  default void wrap_versionlessReference_throwsIllegalArgument() {
    KeyReference versionless = sharedKey(subject()).versionless();
    assertThrows(
        IllegalArgumentException.class,
        () -> subject().provider().wrap(versionless, randomDataKey()));
  }

  /**
   * Where the provider exposes public keys: RSA of the key's size, and a data key wrapped by the
   * JDK with RSA-OAEP-256 (MGF1-SHA-256) under it unwraps through the provider.
   *
   * @throws Exception from the JDK cipher
   */
  @Test
  default void publicKey_whenExposed_isRsaAndJdkWrappedKeyUnwrapsThroughProvider()
      throws Exception {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference version = sharedKey(subject());
    Optional<PublicKey> publicKey = provider.publicKey(version);
    Assumptions.assumeTrue(publicKey.isPresent(), "the provider does not expose public keys");
    RSAPublicKey rsa = assertInstanceOf(RSAPublicKey.class, publicKey.get());
    assertEquals(defaultSize(subject()), rsa.getModulus().bitLength());

    byte[] dataKey = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(dataKey);
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(
        Cipher.ENCRYPT_MODE,
        rsa,
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    WrappedKey wrapped =
        new WrappedKey(provider.id(), version, WrapAlgorithm.RSA_OAEP_256, oaep.doFinal(dataKey));
    assertArrayEquals(dataKey, provider.unwrap(wrapped).copy());
  }

  /**
   * Eight threads wrapping and unwrapping at once all get their own data keys back.
   *
   * @throws Exception if a thread fails or does not finish
   */
  @Test
  default void wrapUnwrap_concurrentThreads_allRoundTripsSucceed() throws Exception {
    KeyEncryptionKeyProvider provider = subject().provider();
    KeyReference version = sharedKey(subject());
    int perThread = subject().concurrentRoundTripsPerThread();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  int ok = 0;
                  for (int i = 0; i < perThread; i++) {
                    SecretBytes dataKey = randomDataKey();
                    SecretBytes back = provider.unwrap(provider.wrap(version, dataKey));
                    if (Arrays.equals(dataKey.copy(), back.copy())) {
                      ok++;
                    }
                  }
                  return ok;
                }));
      }
      start.countDown();
      for (Future<Integer> f : results) {
        assertEquals(perThread, f.get(5, TimeUnit.MINUTES), "round trips returning the data key");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
