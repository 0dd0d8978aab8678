package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Keys, data keys and doctored references for the contract interfaces. Tests that change a key
 * create their own ({@link #ownKey}); tests that only read share a few keys per provider instance
 * ({@link #sharedKey}), created lazily.
 *
 * <p><b>Thread safety:</b> the shared-key cache is synchronized.
 */
final class ContractKeys {
  static final int DATA_KEY_LENGTH = 32;
  static final SecureRandom RANDOM = new SecureRandom();

  /** Read-only keys shared between tests, per provider instance (weakly held), by role. */
  private static final Map<KeyEncryptionKeyProvider, Map<String, KeyReference>> SHARED_KEYS =
      new WeakHashMap<>();

  private ContractKeys() {}

  /**
   * A key name no earlier run used: {@code prefix}, a hyphen and 16 random hexadecimal digits.
   *
   * @throws IllegalArgumentException if the result would not be a valid key name
   */
  static String uniqueKeyName(String prefix) {
    String name = prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong());
    KeyReference.local(name, null); // validates
    return name;
  }

  static int defaultSize(ContractSubject subject) {
    return Collections.min(subject.keySizes());
  }

  /** A key that no test modifies, created once per provider instance, role and size. */
  static KeyReference sharedKey(ContractSubject subject, String role, int sizeBits) {
    KeyEncryptionKeyProvider p = subject.provider();
    synchronized (SHARED_KEYS) {
      return SHARED_KEYS
          .computeIfAbsent(p, x -> new HashMap<>())
          .computeIfAbsent(
              role + "-" + sizeBits,
              r -> subject.createKey(uniqueKeyName("contract-" + role), sizeBits));
    }
  }

  static KeyReference sharedKey(ContractSubject subject) {
    return sharedKey(subject, "shared", defaultSize(subject));
  }

  /** A new key of the default size, for a test that changes it. */
  static KeyReference ownKey(ContractSubject subject, String prefix) {
    return subject.createKey(uniqueKeyName(prefix), defaultSize(subject));
  }

  static SecretBytes randomDataKey() {
    byte[] b = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  /** 32 hexadecimal digits: a valid version for every kind of reference. */
  static String randomVersionLike() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  static void assertRoundTrip(KeyEncryptionKeyProvider provider, KeyReference version, String context) {
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = provider.wrap(version, dataKey);
    SecretBytes unwrapped = provider.unwrap(wrapped);
    assertArrayEquals(
        dataKey.copy(), unwrapped.copy(), context + ": unwrap must return the data key");
  }

  /** The same key store, another key name. */
  static KeyReference withOtherName(KeyReference ref, String name) {
    switch (ref.kind()) {
      case LOCAL:
        return KeyReference.local(name, null);
      case AZURE_KEY_VAULT:
      case AZURE_MANAGED_HSM:
        return KeyReference.parse(ref.vaultUrl().orElseThrow() + "/keys/" + name);
      case PKCS11:
        String s = ref.versionless().toString();
        String from = "object=" + ref.name();
        int i = s.startsWith("pkcs11:" + from) ? "pkcs11:".length() : s.indexOf(";" + from) + 1;
        return KeyReference.parse(
            s.substring(0, i) + "object=" + name + s.substring(i + from.length()));
      default:
        throw new AssertionError(ref.kind());
    }
  }

  /** {@code wrapped} with other ciphertext bytes. */
  static WrappedKey withCiphertext(WrappedKey wrapped, byte[] ciphertext) {
    return new WrappedKey(
        wrapped.providerId(), wrapped.keyReference(), wrapped.algorithm(), ciphertext);
  }

  static byte[] flipBit(byte[] b, int index) {
    byte[] c = b.clone();
    c[index] ^= 0x01;
    return c;
  }
}
