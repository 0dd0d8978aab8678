package dev.cmk.testkit;

import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyManager;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the provider contracts test: a provider, and how to create, rotate, enable or disable and
 * delete keys in its backend. Every contract interface ({@link WrapUnwrapContract}, {@link
 * KeyVersionsContract}, {@link KeyNotFoundContract}, {@link InvalidCiphertextContract}, {@link
 * KeyManagerContract}, {@link LossOfAccessContract}) asks its test class for one.
 *
 * <p>For a provider that offers a {@link KeyManager}, {@link #of(KeyEncryptionKeyProvider)} is all
 * a test needs; a backend managed some other way (a test vault's own API) implements the four
 * lifecycle methods itself.
 */
public interface ContractSubject {

  /**
   * The provider under test. May return the same instance on every call (read-only keys are then
   * shared between tests) or a new one per test instance.
   *
   * @return the provider
   */
  KeyEncryptionKeyProvider provider();

  /**
   * Creates a new RSA key in the provider's backend.
   *
   * @param name a unique, valid key name
   * @param sizeBits one of {@link #keySizes()}
   * @return the versioned reference of its first version
   */
  KeyReference createKey(String name, int sizeBits);

  /**
   * Creates a new version of {@code key}, which becomes its latest.
   *
   * @param key a key made by {@link #createKey}
   * @return the versioned reference of the new version
   */
  KeyReference rotateKey(KeyReference key);

  /**
   * Enables or disables one version.
   *
   * @param version a versioned reference
   * @param enabled whether it may be used
   */
  void setEnabled(KeyReference version, boolean enabled);

  /**
   * Deletes a key: afterwards every version is gone or soft-deleted.
   *
   * @param key a key made by {@link #createKey}
   */
  void deleteKey(KeyReference key);

  /**
   * The manager of the provider's keys, for {@link KeyManagerContract}.
   *
   * @return the provider's own {@link KeyEncryptionKeyProvider#keyManager()} by default
   */
  default Optional<KeyManager> keyManager() {
    return provider().keyManager();
  }

  /**
   * The RSA modulus sizes to test round trips with; the smallest is used for every other test.
   *
   * @return the sizes, default 2048 and 3072
   */
  default Set<Integer> keySizes() {
    return Set.of(2048, 3072);
  }

  /**
   * How many wrap/unwrap round trips each of the 8 threads of the concurrency test makes.
   *
   * @return the count, default 50
   */
  default int concurrentRoundTripsPerThread() {
    return 50;
  }

  /**
   * A provider whose keys are managed by its own {@link KeyEncryptionKeyProvider#keyManager()}.
   *
   * @param provider the provider
   * @return the subject, with the default key sizes and concurrency
   * @throws IllegalArgumentException if the provider offers no key manager
   */
  static ContractSubject of(KeyEncryptionKeyProvider provider) {
    Objects.requireNonNull(provider, "provider");
    KeyManager manager =
        provider
            .keyManager()
            .orElseThrow(
                () -> new IllegalArgumentException("provider " + provider.id() + " has no key manager"));
    return of(provider, manager);
  }

  /**
   * A provider whose keys {@code manager} manages (its own, or a test backend's: a loopback
   * vault's manager beside a provider whose credential may only wrap and unwrap).
   *
   * @param provider the provider
   * @param manager the manager of its keys, also the subject's {@link #keyManager()}
   * @return the subject, with the default key sizes and concurrency
   */
  static ContractSubject of(KeyEncryptionKeyProvider provider, KeyManager manager) {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(manager, "manager");
    return new ContractSubject() {
      @Override
      public KeyEncryptionKeyProvider provider() {
        return provider;
      }

      @Override
      public KeyReference createKey(String name, int sizeBits) {
        return manager.createKey(name, sizeBits);
      }

      @Override
      public KeyReference rotateKey(KeyReference key) {
        return manager.rotateKey(key);
      }

      @Override
      public void setEnabled(KeyReference version, boolean enabled) {
        manager.setEnabled(version, enabled);
      }

      @Override
      public void deleteKey(KeyReference key) {
        manager.deleteKey(key);
      }

      @Override
      public Optional<KeyManager> keyManager() {
        return Optional.of(manager);
      }
    };
  }
}
