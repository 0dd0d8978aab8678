package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.CmkException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The contract every {@link KeyEncryptionKeyProvider} passes: JUnit 5 tests that an implementation
 * inherits by extending this class and saying how to create, rotate, disable and delete keys in
 * its backend.
 *
 * <pre>{@code
 * class MyProviderContractTest extends KeyEncryptionKeyProviderContract {
 *   private static final MyProvider PROVIDER = MyProvider.builder()...build();
 *
 *   protected KeyEncryptionKeyProvider provider() { return PROVIDER; }
 *   protected KeyReference createKey(String name, int sizeBits) { ... }
 *   ...
 * }
 * }</pre>
 *
 * <p>What it pins: wrap/unwrap round trips for every {@linkplain #keySizes() key size}; wrapped keys
 * naming the exact version and the provider id; describe and resolveLatest following rotation; old
 * versions still unwrapping after rotation; disabled versions refused ({@link
 * KeyAccessDeniedException}) and usable again once re-enabled; deleted keys and unknown keys or
 * versions, references the provider does not serve and wrapped keys naming another provider id
 * reported as {@link KeyNotFoundException}; tampered or misdirected wrapped keys reported
 * as {@link InvalidCiphertextException}; versionless references refused by wrap; public keys (where
 * exposed) interoperating with the JDK's RSA-OAEP-256; correctness under concurrent use; and no
 * data key bytes in any exception message.
 *
 * <p>Keys: tests that change a key create their own (with {@link #uniqueKeyName}); tests that only
 * read share a few keys per provider instance, created lazily, so a subclass that returns the same
 * provider from every {@link #provider()} call creates about 25 keys per run. Test methods are
 * public so that JUnit can run them from any module.
 *
 * <p><b>Thread safety:</b> the shared-key cache is synchronized, so subclasses may run tests in
 * parallel if their backend allows it.
 */
// JUnit is a static dependency of this module: whoever runs the contract has it on the path.
@SuppressWarnings("exports")
public abstract class KeyEncryptionKeyProviderContract {

  private static final int DATA_KEY_LENGTH = 32;
  private static final int THREADS = 8;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Read-only keys shared between tests, per provider instance (weakly held), by role. */
  private static final Map<KeyEncryptionKeyProvider, Map<String, KeyReference>> SHARED_KEYS =
      new WeakHashMap<>();

  /** For subclasses. */
  protected KeyEncryptionKeyProviderContract() {}

  /**
   * The provider under test. May return the same instance on every call (keys are then shared
   * between tests) or a new one per test instance.
   *
   * @return the provider
   */
  protected abstract KeyEncryptionKeyProvider provider();

  /**
   * Creates a new RSA key in the provider's backend.
   *
   * @param name a unique, valid key name from {@link #uniqueKeyName}
   * @param sizeBits one of {@link #keySizes()}
   * @return the versioned reference of its first version
   */
  protected abstract KeyReference createKey(String name, int sizeBits);

  /**
   * Creates a new version of {@code key}, which becomes its latest.
   *
   * @param key a key made by {@link #createKey}
   * @return the versioned reference of the new version
   */
  protected abstract KeyReference rotateKey(KeyReference key);

  /**
   * Enables or disables one version.
   *
   * @param version a versioned reference
   * @param enabled whether it may be used
   */
  protected abstract void setEnabled(KeyReference version, boolean enabled);

  /**
   * Deletes a key: afterwards every version is gone or soft-deleted.
   *
   * @param key a key made by {@link #createKey}
   */
  protected abstract void deleteKey(KeyReference key);

  /**
   * The RSA modulus sizes to test round trips with; the smallest is used for every other test.
   *
   * @return the sizes, default 2048 and 3072
   */
  protected Set<Integer> keySizes() {
    return Set.of(2048, 3072);
  }

  /**
   * How many wrap/unwrap round trips each of the 8 threads of the concurrency test makes.
   *
   * @return the count, default 50
   */
  protected int concurrentRoundTripsPerThread() {
    return 50;
  }

  /**
   * A key name no earlier run used: {@code prefix}, a hyphen and 16 random hexadecimal digits.
   *
   * @param prefix letters, digits and hyphens
   * @return a valid key name (1&ndash;127 of {@code [0-9a-zA-Z-]}, valid for Key Vault and as a
   *     PKCS#11 label)
   * @throws IllegalArgumentException if the result would not be a valid key name
   */
  protected String uniqueKeyName(String prefix) {
    String name = prefix + "-" + HexFormat.of().toHexDigits(RANDOM.nextLong());
    KeyReference.local(name, null); // validates
    return name;
  }

  // ------------------------------------------------------------------------------------ helpers

  private int defaultSize() {
    return Collections.min(keySizes());
  }

  /** A key that no test modifies, created once per provider instance, role and size. */
  private KeyReference sharedKey(String role, int sizeBits) {
    KeyEncryptionKeyProvider p = provider();
    synchronized (SHARED_KEYS) {
      return SHARED_KEYS
          .computeIfAbsent(p, x -> new HashMap<>())
          .computeIfAbsent(
              role + "-" + sizeBits, r -> createKey(uniqueKeyName("contract-" + role), sizeBits));
    }
  }

  private KeyReference sharedKey() {
    return sharedKey("shared", defaultSize());
  }

  private KeyReference ownKey(String prefix) {
    return createKey(uniqueKeyName(prefix), defaultSize());
  }

  private static SecretBytes randomDataKey() {
    byte[] b = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(b);
    return SecretBytes.wrapOwned(b);
  }

  private void assertRoundTrip(KeyReference version, String context) {
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = provider().wrap(version, dataKey);
    SecretBytes unwrapped = provider().unwrap(wrapped);
    assertArrayEquals(dataKey.copy(), unwrapped.copy(), context + ": unwrap must return the data key");
  }

  private static String randomVersionLike() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b); // 32 hex digits: valid for every kind of reference
  }

  private static KeyReference withOtherName(KeyReference ref, String name) {
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

  private static byte[] flipBit(byte[] b, int index) {
    byte[] c = b.clone();
    c[index] ^= 0x01;
    return c;
  }

  // -------------------------------------------------------------------------------- round trip

  /** Every configured key size wraps and unwraps a 32-byte data key. */
  @Test
  public void wrapUnwrap_roundTrip_returnsSameDataKey() {
    List<Executable> checks = new ArrayList<>();
    for (int size : keySizes()) {
      checks.add(() -> assertRoundTrip(sharedKey("size", size), "RSA-" + size));
    }
    assertAll(checks);
  }

  /** The wrapped key names the provider and the exact version used. */
  @Test
  public void wrap_versionedReference_namesVersionAndProviderId() {
    KeyReference version = sharedKey();
    WrappedKey wrapped = provider().wrap(version, randomDataKey());
    assertEquals(version, wrapped.keyReference());
    assertEquals(provider().id(), wrapped.providerId());
    assertNotNull(wrapped.algorithm());
    assertTrue(
        wrapped.ciphertextLength() >= defaultSize() / 8,
        "an RSA-OAEP wrapped key is one modulus-sized block");
  }

  /** RSA-OAEP is randomised: wrapping the same data key twice gives different bytes. */
  @Test
  public void wrap_sameDataKeyTwice_producesDifferentCiphertexts() {
    KeyReference version = sharedKey();
    SecretBytes dataKey = randomDataKey();
    WrappedKey a = provider().wrap(version, dataKey);
    WrappedKey b = provider().wrap(version, dataKey);
    assertFalse(Arrays.equals(a.ciphertext(), b.ciphertext()));
  }

  /** Wrap neither destroys nor changes the caller's data key. */
  @Test
  public void wrap_dataKey_isNotModifiedOrDestroyed() {
    byte[] bytes = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(bytes);
    SecretBytes dataKey = SecretBytes.copyOf(bytes);
    provider().wrap(sharedKey(), dataKey);
    assertFalse(dataKey.isDestroyed());
    assertArrayEquals(bytes, dataKey.copy());
  }

  /** A versionless reference is a programming error for wrap. */
  @Test
  public void wrap_versionlessReference_throwsIllegalArgument() {
    KeyReference versionless = sharedKey().versionless();
    assertThrows(
        IllegalArgumentException.class, () -> provider().wrap(versionless, randomDataKey()));
  }

  // --------------------------------------------------------------------------------- describe

  /** A versionless describe of a fresh key reports its only version with sensible fields. */
  @Test
  public void describe_versionlessReference_describesLatestVersion() {
    KeyReference version = sharedKey();
    KeyDescription d = provider().describe(version.versionless());
    assertAll(
        () -> assertEquals(version, d.reference(), "describes the latest (only) version"),
        () -> assertTrue(d.reference().isVersioned()),
        () -> assertTrue(d.keyType().isRsa(), "RSA key type, found " + d.keyType()),
        () -> assertEquals(defaultSize(), d.sizeBits()),
        () -> assertTrue(d.enabled()),
        () -> assertTrue(d.operations().contains(KeyOperation.WRAP_KEY), "permits wrapKey"),
        () -> assertTrue(d.operations().contains(KeyOperation.UNWRAP_KEY), "permits unwrapKey"),
        () -> assertNotNull(d.vaultProtection()),
        () -> assertTrue(d.isUsableAt(Instant.now()), "usable now"));
  }

  /** A versioned describe reports that version, also when it is no longer the latest. */
  @Test
  public void describe_olderVersionAfterRotate_describesThatVersion() {
    KeyReference v1 = ownKey("describe-old");
    KeyReference v2 = rotateKey(v1);
    assertEquals(v1, provider().describe(v1).reference());
    assertEquals(v2, provider().describe(v2).reference());
    assertEquals(v2, provider().describe(v1.versionless()).reference());
  }

  /** Deleted keys are not found. */
  @Test
  public void describe_deletedKey_throwsKeyNotFound() {
    KeyReference version = ownKey("describe-deleted");
    deleteKey(version.versionless());
    assertThrows(KeyNotFoundException.class, () -> provider().describe(version.versionless()));
    assertThrows(KeyNotFoundException.class, () -> provider().describe(version));
  }

  /** A version that was never created is not found. */
  @Test
  public void describe_unknownVersion_throwsKeyNotFound() {
    KeyReference unknown = sharedKey().withVersion(randomVersionLike());
    assertThrows(KeyNotFoundException.class, () -> provider().describe(unknown));
  }

  /** A key that was never created is not found. */
  @Test
  public void describe_unknownKey_throwsKeyNotFound() {
    KeyReference unknown = withOtherName(sharedKey(), uniqueKeyName("never-created"));
    assertThrows(KeyNotFoundException.class, () -> provider().describe(unknown));
  }

  // ------------------------------------------------------------------------------- rotation

  /** resolveLatest follows rotation, from a versionless or any versioned reference. */
  @Test
  public void resolveLatest_afterRotate_returnsNewVersion() {
    KeyReference v1 = ownKey("resolve");
    assertEquals(v1, provider().resolveLatest(v1.versionless()));
    KeyReference v2 = rotateKey(v1);
    assertNotEquals(v1, v2);
    assertTrue(v2.sameKeyAs(v1));
    assertEquals(v2, provider().resolveLatest(v1.versionless()));
    assertEquals(v2, provider().resolveLatest(v1), "a version in the reference is ignored");
  }

  /** Rotation never breaks old envelopes. */
  @Test
  public void unwrap_afterRotate_oldVersionStillUnwraps() {
    KeyReference v1 = ownKey("rotate-old");
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = provider().wrap(v1, dataKey);
    rotateKey(v1);
    assertArrayEquals(dataKey.copy(), provider().unwrap(wrapped).copy());
  }

  /** Wrapping with the resolved latest version after a rotation names the new version. */
  @Test
  public void wrap_resolvedLatestAfterRotate_namesNewVersion() {
    KeyReference v1 = ownKey("rotate-new");
    KeyReference v2 = rotateKey(v1);
    WrappedKey wrapped = provider().wrap(provider().resolveLatest(v1.versionless()), randomDataKey());
    assertEquals(v2, wrapped.keyReference());
    assertRoundTrip(v2, "new version");
  }

  // ------------------------------------------------------------------------- enable / disable

  /** A disabled version refuses to unwrap. */
  @Test
  public void unwrap_disabledVersion_throwsKeyAccessDenied() {
    KeyReference version = ownKey("disabled");
    WrappedKey wrapped = provider().wrap(version, randomDataKey());
    setEnabled(version, false);
    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> provider().unwrap(wrapped));
    assertTrue(e.isAuthoritative());
  }

  /** Re-enabling a version makes it unwrap again. */
  @Test
  public void unwrap_reEnabledVersion_succeedsAgain() {
    KeyReference version = ownKey("reenabled");
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = provider().wrap(version, dataKey);
    setEnabled(version, false);
    assertThrows(KeyAccessDeniedException.class, () -> provider().unwrap(wrapped));
    setEnabled(version, true);
    assertArrayEquals(dataKey.copy(), provider().unwrap(wrapped).copy());
  }

  /** Disabling one version leaves the other versions of the key usable. */
  @Test
  public void unwrap_otherVersionDisabled_stillSucceeds() {
    KeyReference v1 = ownKey("disable-one");
    KeyReference v2 = rotateKey(v1);
    SecretBytes dataKey = randomDataKey();
    WrappedKey wrapped = provider().wrap(v2, dataKey);
    setEnabled(v1, false);
    assertArrayEquals(dataKey.copy(), provider().unwrap(wrapped).copy());
  }

  // ------------------------------------------------------------------- not found, ciphertext

  /** A wrapped key of a deleted key is not found. */
  @Test
  public void unwrap_deletedKey_throwsKeyNotFound() {
    KeyReference version = ownKey("unwrap-deleted");
    WrappedKey wrapped = provider().wrap(version, randomDataKey());
    deleteKey(version.versionless());
    assertThrows(KeyNotFoundException.class, () -> provider().unwrap(wrapped));
  }

  /** A wrapped key naming a version that was never created is not found. */
  @Test
  public void unwrap_unknownVersion_throwsKeyNotFound() {
    WrappedKey real = provider().wrap(sharedKey(), randomDataKey());
    WrappedKey unknown =
        new WrappedKey(
            real.providerId(),
            real.keyReference().withVersion(randomVersionLike()),
            real.algorithm(),
            real.ciphertext());
    assertThrows(KeyNotFoundException.class, () -> provider().unwrap(unknown));
  }

  /** Wrapping under a version that was never created fails as not found. */
  @Test
  public void wrap_unknownVersion_throwsKeyNotFound() {
    KeyReference unknown = sharedKey().withVersion(randomVersionLike());
    assertThrows(KeyNotFoundException.class, () -> provider().wrap(unknown, randomDataKey()));
  }

  /** One flipped bit anywhere in the wrapped bytes makes unwrap fail as invalid ciphertext. */
  @Test
  public void unwrap_tamperedCiphertext_throwsInvalidCiphertext() {
    WrappedKey wrapped = provider().wrap(sharedKey(), randomDataKey());
    byte[] ct = wrapped.ciphertext();
    for (int index : new int[] {0, ct.length / 2, ct.length - 1}) {
      WrappedKey tampered =
          new WrappedKey(
              wrapped.providerId(), wrapped.keyReference(), wrapped.algorithm(), flipBit(ct, index));
      assertThrows(
          InvalidCiphertextException.class,
          () -> provider().unwrap(tampered),
          "bit flipped in byte " + index);
    }
  }

  /** Wrapped bytes cut short make unwrap fail as invalid ciphertext. */
  @Test
  public void unwrap_truncatedCiphertext_throwsInvalidCiphertext() {
    WrappedKey wrapped = provider().wrap(sharedKey(), randomDataKey());
    byte[] ct = wrapped.ciphertext();
    WrappedKey truncated =
        new WrappedKey(
            wrapped.providerId(),
            wrapped.keyReference(),
            wrapped.algorithm(),
            Arrays.copyOf(ct, ct.length - 1));
    assertThrows(InvalidCiphertextException.class, () -> provider().unwrap(truncated));
  }

  /** A key wrapped under key A and presented as wrapped under key B does not unwrap. */
  @Test
  public void unwrap_ciphertextOfAnotherKey_throwsInvalidCiphertext() {
    WrappedKey underA = provider().wrap(sharedKey("a", defaultSize()), randomDataKey());
    KeyReference b = sharedKey("b", defaultSize());
    WrappedKey presentedAsB =
        new WrappedKey(underA.providerId(), b, underA.algorithm(), underA.ciphertext());
    assertThrows(InvalidCiphertextException.class, () -> provider().unwrap(presentedAsB));
  }

  /**
   * A reference the provider does not {@linkplain KeyEncryptionKeyProvider#serves serve} (another
   * kind of key store) is not found by every operation, never an {@link IllegalArgumentException}:
   * the one "not served" rule ({@link dev.cmk.api.spi.ServedKeys}).
   */
  @Test
  public void anyOperation_unservedReference_throwsKeyNotFound() {
    WrappedKey real = provider().wrap(sharedKey(), randomDataKey());
    String version = randomVersionLike();
    List<KeyReference> candidates =
        List.of(
            KeyReference.local("cmk-contract-not-served", version),
            KeyReference.parse(
                "pkcs11:token=cmk-not-served;object=cmk-contract-not-served;id=" + version),
            KeyReference.parse(
                "https://cmk-not-served.vault.azure.net/keys/cmk-contract-not-served/" + version));
    List<Executable> checks = new ArrayList<>();
    for (KeyReference ref : candidates) {
      if (provider().serves(ref) || provider().serves(ref.versionless())) {
        continue;
      }
      WrappedKey wrapped = new WrappedKey(provider().id(), ref, real.algorithm(), real.ciphertext());
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider().describe(ref.versionless()), "describe " + ref.kind()));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider().describe(ref), "describe versioned " + ref.kind()));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider().resolveLatest(ref), "resolveLatest " + ref.kind()));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider().wrap(ref, randomDataKey()), "wrap " + ref.kind()));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider().unwrap(wrapped), "unwrap " + ref.kind()));
      checks.add(() -> assertThrows(KeyNotFoundException.class,
          () -> provider().publicKey(ref), "publicKey " + ref.kind()));
    }
    Assumptions.assumeFalse(checks.isEmpty(), "the provider serves every kind of reference");
    assertAll(checks);
  }

  /**
   * A wrapped key naming another provider id is not found, even when the key and the bytes are
   * this provider's: a provider never unwraps what the envelope says another provider made.
   */
  @Test
  public void unwrap_wrappedByAnotherProvider_throwsKeyNotFound() {
    WrappedKey real = provider().wrap(sharedKey(), randomDataKey());
    String otherId = provider().id().equals("contract-other") ? "contract-other-2" : "contract-other";
    WrappedKey other =
        new WrappedKey(otherId, real.keyReference(), real.algorithm(), real.ciphertext());
    KeyNotFoundException e =
        assertThrows(KeyNotFoundException.class, () -> provider().unwrap(other));
    assertTrue(e.isAuthoritative());
    assertNotNull(provider().unwrap(real), "the same bytes under the right id still unwrap");
  }

  // -------------------------------------------------------------------------------- public key

  /**
   * Where the provider exposes public keys: RSA of the key's size, and a data key wrapped by the
   * JDK with RSA-OAEP-256 (MGF1-SHA-256) under it unwraps through the provider.
   */
  @Test
  public void publicKey_whenExposed_isRsaAndJdkWrappedKeyUnwrapsThroughProvider()
      throws Exception {
    KeyReference version = sharedKey();
    Optional<PublicKey> publicKey = provider().publicKey(version);
    Assumptions.assumeTrue(publicKey.isPresent(), "the provider does not expose public keys");
    RSAPublicKey rsa = assertInstanceOf(RSAPublicKey.class, publicKey.get());
    assertEquals(defaultSize(), rsa.getModulus().bitLength());

    byte[] dataKey = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(dataKey);
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(
        Cipher.ENCRYPT_MODE,
        rsa,
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    WrappedKey wrapped =
        new WrappedKey(provider().id(), version, WrapAlgorithm.RSA_OAEP_256, oaep.doFinal(dataKey));
    assertArrayEquals(dataKey, provider().unwrap(wrapped).copy());
  }

  // ------------------------------------------------------------------------------ concurrency

  /** Eight threads wrapping and unwrapping at once all get their own data keys back. */
  @Test
  public void wrapUnwrap_concurrentThreads_allRoundTripsSucceed() throws Exception {
    KeyReference version = sharedKey();
    int perThread = concurrentRoundTripsPerThread();
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
                    SecretBytes back = provider().unwrap(provider().wrap(version, dataKey));
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

  // ------------------------------------------------------------------------------------- misc

  /** The provider serves the keys made for it, with and without a version. */
  @Test
  public void serves_createdKey_returnsTrue() {
    KeyReference version = sharedKey();
    assertTrue(provider().serves(version));
    assertTrue(provider().serves(version.versionless()));
  }

  /**
   * No failure (unknown version, deleted key, disabled version, tampered or misdirected bytes,
   * versionless reference) puts the data key into an exception message, in hex or Base64.
   */
  @Test
  public void exceptions_anyFailure_neverContainDataKeyBytes() {
    byte[] raw = new byte[DATA_KEY_LENGTH];
    RANDOM.nextBytes(raw);
    SecretBytes dataKey = SecretBytes.copyOf(raw);
    KeyReference own = ownKey("messages");
    WrappedKey wrapped = provider().wrap(own, dataKey);
    byte[] ct = wrapped.ciphertext();

    List<Supplier<Object>> failures = new ArrayList<>();
    failures.add(() -> provider().wrap(own.withVersion(randomVersionLike()), dataKey));
    failures.add(() -> provider().wrap(own.versionless(), dataKey));
    failures.add(
        () ->
            provider()
                .unwrap(
                    new WrappedKey(
                        wrapped.providerId(), own, wrapped.algorithm(), flipBit(ct, ct.length / 2))));
    failures.add(
        () ->
            provider()
                .unwrap(
                    new WrappedKey(
                        wrapped.providerId(), sharedKey("b", defaultSize()), wrapped.algorithm(), ct)));
    List<Throwable> thrown = new ArrayList<>();
    for (Supplier<Object> f : failures) {
      thrown.add(assertThrows(RuntimeException.class, f::get));
    }
    setEnabled(own, false);
    thrown.add(assertThrows(KeyAccessDeniedException.class, () -> provider().unwrap(wrapped)));
    deleteKey(own.versionless());
    thrown.add(assertThrows(KeyNotFoundException.class, () -> provider().unwrap(wrapped)));
    thrown.add(assertThrows(KeyNotFoundException.class, () -> provider().wrap(own, dataKey)));

    List<String> forms =
        List.of(
            HexFormat.of().formatHex(raw),
            HexFormat.of().formatHex(raw).toUpperCase(Locale.ROOT),
            Base64.getEncoder().withoutPadding().encodeToString(raw),
            Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
    for (Throwable t : thrown) {
      if (!(t instanceof CmkException) && !(t instanceof IllegalArgumentException)) {
        fail("expected a cmk exception or IllegalArgumentException, got " + t);
      }
      for (Throwable c = t; c != null; c = c.getCause()) {
        String text = String.valueOf(c.getMessage()) + " " + c;
        for (String form : forms) {
          assertFalse(text.contains(form), "data key bytes in exception message: " + c.getClass());
        }
      }
    }
  }
}
