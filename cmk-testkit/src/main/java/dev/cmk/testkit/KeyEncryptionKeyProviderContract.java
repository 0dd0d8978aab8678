package dev.cmk.testkit;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.util.Set;

/**
 * The contract every {@link KeyEncryptionKeyProvider} passes: the JUnit 5 tests of {@link
 * WrapUnwrapContract}, {@link KeyVersionsContract}, {@link KeyNotFoundContract} and {@link
 * InvalidCiphertextContract}, inherited by extending this class and saying how to create, rotate,
 * disable and delete keys in the backend.
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
 * <p>A provider with a {@link dev.cmk.api.spi.KeyManager} can instead implement the contract
 * interfaces it wants directly, with {@code subject()} returning {@link
 * ContractSubject#of(KeyEncryptionKeyProvider)}, and add {@link KeyManagerContract} and {@link
 * LossOfAccessContract}.
 *
 * <p>What it pins: wrap/unwrap round trips for every {@linkplain #keySizes() key size}; wrapped keys
 * naming the exact version and the provider id; describe and resolveLatest following rotation; old
 * versions still unwrapping after rotation; disabled versions refused ({@link
 * KeyAccessDeniedException}) and usable again once re-enabled; deleted keys and unknown keys or
 * versions, references the provider does not serve and wrapped keys naming another provider id
 * reported as {@link KeyNotFoundException}; tampered or misdirected wrapped keys reported as {@link
 * InvalidCiphertextException}; versionless references refused by wrap; public keys (where exposed)
 * interoperating with the JDK's RSA-OAEP-256; correctness under concurrent use; and no data key
 * bytes in any exception message.
 *
 * <p>Keys: tests that change a key create their own; tests that only read share a few keys per
 * provider instance, created lazily, so a subclass that returns the same provider from every {@link
 * #provider()} call creates about 25 keys per run. Test methods are public so that JUnit can run
 * them from any module.
 *
 * <p><b>Thread safety:</b> the shared-key cache is synchronized, so subclasses may run tests in
 * parallel if their backend allows it.
 */
public abstract class KeyEncryptionKeyProviderContract
    implements WrapUnwrapContract, KeyVersionsContract, KeyNotFoundContract, InvalidCiphertextContract {

  private final ContractSubject subject = new Subject();

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
    return ContractKeys.uniqueKeyName(prefix);
  }

  /**
   * This class's abstract methods, as the subject of the contract interfaces.
   *
   * @return the subject
   */
  @Override
  public final ContractSubject subject() {
    return subject;
  }

  private final class Subject implements ContractSubject {
    @Override
    public KeyEncryptionKeyProvider provider() {
      return KeyEncryptionKeyProviderContract.this.provider();
    }

    @Override
    public KeyReference createKey(String name, int sizeBits) {
      return KeyEncryptionKeyProviderContract.this.createKey(name, sizeBits);
    }

    @Override
    public KeyReference rotateKey(KeyReference key) {
      return KeyEncryptionKeyProviderContract.this.rotateKey(key);
    }

    @Override
    public void setEnabled(KeyReference version, boolean enabled) {
      KeyEncryptionKeyProviderContract.this.setEnabled(version, enabled);
    }

    @Override
    public void deleteKey(KeyReference key) {
      KeyEncryptionKeyProviderContract.this.deleteKey(key);
    }

    @Override
    public Set<Integer> keySizes() {
      return KeyEncryptionKeyProviderContract.this.keySizes();
    }

    @Override
    public int concurrentRoundTripsPerThread() {
      return KeyEncryptionKeyProviderContract.this.concurrentRoundTripsPerThread();
    }
  }
}
