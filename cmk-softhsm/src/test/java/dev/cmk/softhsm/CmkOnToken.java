package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * cmk-core's {@link EnvelopeCrypto} and loss-of-access guard on a PKCS#11 provider, as the CMK
 * contract integration tests use them: a manual clock drives the guard (and its retry waits), and
 * the key policy accepts token keys, which have no soft delete or purge protection.
 */
final class CmkOnToken {
  /** One minute (the default probe interval) and a second: a probe is due after this. */
  static final Duration PAST_PROBE_INTERVAL = Duration.ofSeconds(61);

  private static final SecureRandom RANDOM = new SecureRandom();

  private CmkOnToken() {}

  /**
   * The policy for keys in a bare token: RSA-HSM, 2048/3072 bits, versioned, enabled, wrap and
   * unwrap; soft delete and purge protection waived by name.
   */
  static KeyPolicy tokenPolicy() {
    return KeyPolicy.builder()
        .name("pkcs11-token")
        .keyTypes(KeyType.RSA_HSM)
        .allowKeysWithoutDeletionProtection()
        .build();
  }

  /** A builder for an instance that writes under the latest version of {@code key}. */
  static EnvelopeCryptoBuilder guarded(
      KeyEncryptionKeyProvider provider, KeyReference key, ManualClock clock) {
    return EnvelopeCrypto.builder()
        .provider(provider)
        .writeKey(key.versionless())
        .clock(clock)
        .sleeper(clock::advance)
        .keyPolicy(tokenPolicy());
  }

  /** Calls of every kind that reached {@code provider} so far. */
  static long providerCalls(FaultInjectingProvider provider) {
    long n = 0;
    for (Operation op : Operation.values()) {
      n += provider.count(op);
    }
    return n;
  }

  /** A fresh random 32-byte data key. */
  static SecretBytes randomDataKey() {
    return SecretBytes.wrapOwned(randomBytes(32));
  }

  static byte[] randomBytes(int length) {
    byte[] b = new byte[length];
    RANDOM.nextBytes(b);
    return b;
  }

  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(2);
    }
  }

  /** An envelope whose encryption reported success, with what it must decrypt to. */
  static final class Written {
    final String id;
    final byte[] plaintext;
    final byte[] associatedData;
    final byte[] envelope;

    Written(String id, byte[] plaintext, byte[] envelope) {
      this.id = id;
      this.plaintext = plaintext;
      this.associatedData = id.getBytes(StandardCharsets.UTF_8);
      this.envelope = envelope;
    }

    /** Encrypts a fresh random plaintext of {@code length} bytes with {@code crypto}. */
    static Written encrypt(EnvelopeCrypto crypto, String id, int length) {
      byte[] plaintext = randomBytes(length);
      return new Written(id, plaintext,
          crypto.encrypt(plaintext, id.getBytes(StandardCharsets.UTF_8)));
    }

    /** Asserts that {@code crypto} decrypts this envelope to its plaintext. */
    void assertDecrypts(EnvelopeCrypto crypto) {
      assertArrayEquals(plaintext, crypto.decrypt(envelope, associatedData), id);
    }

    @Override
    public String toString() {
      return "Written[" + id + ", " + plaintext.length + " bytes]";
    }
  }
}
