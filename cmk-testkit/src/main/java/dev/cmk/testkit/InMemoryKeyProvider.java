package dev.cmk.testkit;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.ProviderIds;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.RsaOaep;
import dev.cmk.api.spi.ServedKeys;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A key provider that holds software RSA keys in memory and behaves like a key vault: versioned
 * keys, rotation, enable/disable, not-before and expiry, permitted operations, soft delete with
 * recovery and purge protection. Serves {@code local:} references ({@link KeyReference.Kind#LOCAL}).
 * For call counters, simulated latency and injected failures, wrap it in a {@link
 * FaultInjectingProvider}.
 *
 * <p>Wrapping is real RSAES-OAEP with SHA-256 and MGF1-SHA-256 and an empty label (Key Vault's
 * {@code RSA-OAEP-256}), so wrapped keys interoperate with the JDK, Key Vault and PKCS#11 tokens
 * given the same key ({@link InMemoryKeyManager#importKey}, {@link #exportPrivateKey}). {@link
 * #unwrap} also accepts {@link WrapAlgorithm#RSA_OAEP_SHA1}.
 *
 * <p>Versions are named {@code 00000001}, {@code 00000002}, ... from one counter per provider, so
 * they sort in creation order and no two keys share a version; the latest version of a key is the
 * one created last.
 *
 * <p>How state maps to failures of the SPI operations:
 *
 * <ul>
 *   <li>unknown key or version, deleted (also soft-deleted) key, a reference that is not {@code
 *       local:} &rarr; {@link KeyNotFoundException};
 *   <li>{@link #wrap} or {@link #unwrap} on a disabled version &rarr; {@link
 *       KeyAccessDeniedException} {@code KEY_DISABLED}; outside its not-before / expiry window
 *       (by the configured clock) &rarr; {@code KEY_NOT_VALID_NOW}; without {@code WRAP_KEY} /
 *       {@code UNWRAP_KEY} among its operations, or not an RSA key &rarr; {@code
 *       OPERATION_NOT_PERMITTED};
 *   <li>wrapped bytes that do not decrypt under the named version &rarr; {@link
 *       InvalidCiphertextException}.
 * </ul>
 *
 * <p>{@link #describe} and {@link #publicKey} work on disabled and expired versions, as Key Vault's
 * get-key does.
 *
 * <p>Keys change only through the {@linkplain #manager() key manager} ({@code createKey}, {@code
 * rotateKey}, {@code setEnabled}, {@code deleteKey}, ...), which acts like the customer in the
 * vault's portal (a {@link FaultInjectingProvider} around this provider neither counts nor faults
 * it).
 *
 * <p><b>Security guarantees:</b> exception messages and {@link #toString()} never contain key
 * material or data keys. This is a test tool: private keys live in ordinary heap memory and are
 * exportable; do not use it to protect real data.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. Key state changes are atomic; cryptographic
 * work happens outside the lock, on a snapshot of the key version taken when the call started.
 */
public final class InMemoryKeyProvider implements KeyEncryptionKeyProvider {

  /** The id used when the builder sets none. */
  public static final String DEFAULT_ID = "in-memory";

  private final String id;
  private final Clock clock;
  private final SecureRandom random;
  private final InMemoryKeyStore store;
  private final InMemoryKeyManager manager;

  private InMemoryKeyProvider(Builder b) {
    this.id = b.id;
    this.clock = b.clock;
    this.random = b.random;
    this.store = new InMemoryKeyStore(b.clock, b.vaultProtection, b.random);
    this.manager = new InMemoryKeyManager(store);
  }

  /**
   * A builder with the defaults: id {@value #DEFAULT_ID}, the system UTC clock, soft delete with
   * purge protection and 90 days retention (Key Vault's {@code Recoverable}), a new
   * {@link SecureRandom}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A provider with every default (see {@link #builder()}).
   *
   * @return the provider
   */
  public static InMemoryKeyProvider create() {
    return builder().build();
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The key manager, typed: the one way to change this provider's keys (the same object as {@link
   * #keyManager()}).
   *
   * @return the key manager
   */
  public InMemoryKeyManager manager() {
    return manager;
  }

  // The four delegates below stay only because examples/ and cmk-benchmarks still call them; every
  // caller in the library modules uses manager(). Remove them once those callers move.

  /**
   * Creates an RSA key with one version.
   *
   * @param name the key name
   * @param sizeBits the modulus size
   * @return the versioned reference of the first version
   * @deprecated use {@code manager().}{@link InMemoryKeyManager#createKey(String, int) createKey}
   */
  @Deprecated
  public KeyReference createKey(String name, int sizeBits) {
    return manager.createKey(name, sizeBits);
  }

  /**
   * Creates an RSA key whose first version is the given key pair.
   *
   * @param name the key name
   * @param keyPair an RSA key pair
   * @return the versioned reference of the first version
   * @deprecated use {@code manager().}{@link InMemoryKeyManager#importKey(String, KeyPair)
   *     importKey}
   */
  @Deprecated
  public KeyReference importKey(String name, KeyPair keyPair) {
    return manager.importKey(name, keyPair);
  }

  /**
   * Creates a new version of a key; it becomes the latest version.
   *
   * @param key the key (a version in it is ignored)
   * @return the versioned reference of the new version
   * @deprecated use {@code manager().}{@link InMemoryKeyManager#rotateKey(KeyReference) rotateKey}
   */
  @Deprecated
  public KeyReference rotate(KeyReference key) {
    return manager.rotateKey(key);
  }

  /**
   * Enables or disables one version.
   *
   * @param version the key version (must be versioned)
   * @param enabled whether it may be used
   * @deprecated use {@code manager().}{@link InMemoryKeyManager#setEnabled(KeyReference, boolean)
   *     setEnabled}
   */
  @Deprecated
  public void setEnabled(KeyReference version, boolean enabled) {
    manager.setEnabled(version, enabled);
  }

  /**
   * The private key of a version, for interoperability tests (e.g. decrypting with the JDK what
   * this provider wrapped). Not counted, never faulted, works on disabled versions.
   *
   * @param version the key version (must be versioned)
   * @return the private key
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  public PrivateKey exportPrivateKey(KeyReference version) {
    return store.exportPrivateKey(version);
  }

  /** The deletion guarantees this provider simulates and reports in every description. */
  public VaultProtection vaultProtection() {
    return store.vaultProtection();
  }

  // ---------------------------------------------------------------- SPI

  /**
   * The key lifecycle through cmk-api's {@link KeyManager} vocabulary ({@code rotateKey}, {@code
   * deleteKey}, ...), for code written against any backend ({@link #manager()}, typed): always
   * present, with {@link KeyManager.Capability#VALIDITY}, {@code OPERATIONS}, {@code IMPORT}, and
   * {@code SOFT_DELETE} when the vault protection has soft delete.
   *
   * @return the key manager
   */
  @Override
  public Optional<KeyManager> keyManager() {
    return Optional.of(manager);
  }

  @Override
  public String id() {
    return id;
  }

  /**
   * Whether {@code reference} is a {@code local:} reference; true also for keys not created (yet),
   * which then are not found.
   *
   * @throws NullPointerException if {@code reference} is null
   */
  @Override
  public boolean serves(KeyReference reference) {
    return Objects.requireNonNull(reference, "reference").kind() == KeyReference.Kind.LOCAL;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Describes disabled and expired versions too.
   *
   * @throws NullPointerException if {@code reference} is null
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    return store.snapshot(reference).description();
  }

  /**
   * {@inheritDoc}
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reference} is not versioned, or the data key is too
   *     long for one RSA-OAEP-256 block of the key
   * @throws IllegalStateException if {@code dataKey} is destroyed
   */
  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    KeyReference.requireVersioned(reference, "reference");
    Objects.requireNonNull(dataKey, "dataKey");
    InMemoryKeyStore.Snapshot s = store.snapshot(reference);
    s.description().checkUsable(KeyOperation.WRAP_KEY, clock.instant());
    return new WrappedKey(
        id,
        s.description().reference(),
        WrapAlgorithm.RSA_OAEP_256,
        RsaOaep.wrap(s.keyPair().getPublic(), WrapAlgorithm.RSA_OAEP_256, dataKey, random));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Accepts keys wrapped with {@link WrapAlgorithm#RSA_OAEP_256} and {@link
   * WrapAlgorithm#RSA_OAEP_SHA1}.
   *
   * @throws NullPointerException if {@code wrappedKey} is null
   * @throws KeyNotFoundException also if {@code wrappedKey} names another provider id ({@link
   *     ServedKeys#requireOwn})
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    KeyReference reference = ServedKeys.requireOwn(this, wrappedKey);
    InMemoryKeyStore.Snapshot s = store.snapshot(reference);
    s.description().checkUsable(KeyOperation.UNWRAP_KEY, clock.instant());
    return RsaOaep.unwrap(s.keyPair().getPrivate(), wrappedKey.algorithm(), wrappedKey.ciphertext());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Always present; works on disabled and expired versions.
   *
   * @throws NullPointerException if {@code reference} is null
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist or the key is deleted
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    KeyReference.requireVersioned(reference, "reference");
    return Optional.of(store.snapshot(reference).keyPair().getPublic());
  }

  @Override
  public String toString() {
    return "InMemoryKeyProvider[id=" + id + ", keys=" + store.size() + "]";
  }

  /**
   * Configures an {@link InMemoryKeyProvider}. Nothing is required.
   *
   * <p><b>Thread safety:</b> not thread-safe; use from one thread.
   */
  public static final class Builder {
    private String id = DEFAULT_ID;
    private Clock clock = Clock.systemUTC();
    private VaultProtection vaultProtection = TestKeyDescriptions.RECOVERABLE_VAULT;
    private @Nullable SecureRandom random;

    private Builder() {}

    /**
     * The provider id written into wrapped keys (default {@value #DEFAULT_ID}).
     *
     * @param id 1&ndash;32 of {@code [a-z0-9.-]}, starting with a letter
     * @return this builder
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} breaks the rule
     */
    public Builder id(String id) {
      this.id = ProviderIds.check(Objects.requireNonNull(id, "id"));
      return this;
    }

    /**
     * The clock for not-before / expiry checks, deletion dates and retention (default system
     * UTC); use a {@link ManualClock} in tests.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The deletion guarantees to simulate and report (default: soft delete, purge protection, 90
     * days, recovery level {@code Recoverable}).
     *
     * @param vaultProtection the protection
     * @return this builder
     * @throws NullPointerException if {@code vaultProtection} is null
     */
    public Builder vaultProtection(VaultProtection vaultProtection) {
      this.vaultProtection = Objects.requireNonNull(vaultProtection, "vaultProtection");
      return this;
    }

    /**
     * The randomness for key generation and OAEP (default a new {@link SecureRandom}).
     *
     * @param random the source
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public Builder secureRandom(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Builds the provider, with no keys.
     *
     * @return the provider
     */
    public InMemoryKeyProvider build() {
      if (random == null) {
        random = new SecureRandom();
      }
      return new InMemoryKeyProvider(this);
    }
  }
}
