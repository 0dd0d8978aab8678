package dev.cmk.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.ClientOptions;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.KeyServiceVersion;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyServiceVersion;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.UnwrapResult;
import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.azure.internal.BoundedCache;
import dev.cmk.azure.internal.KeyVaultErrors;
import dev.cmk.azure.internal.ManagedIdentityRefusalPolicy;
import dev.cmk.azure.internal.RsaOaep;
import dev.cmk.azure.internal.SlidingWindowBudget;
import java.math.BigInteger;
import java.net.URI;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Key-encryption keys in Azure Key Vault and Azure Key Vault Managed HSM, used through the Azure
 * SDK ({@code KeyClient}, {@code CryptographyClient}). Provider id {@value #ID}.
 *
 * <p>Keys are named exactly as the FHIR / DICOM services' {@code keyEncryptionKeyUrl}: {@code
 * https://{vault}.vault.azure.net/keys/{name}[/{version}]} (and the sovereign clouds) or {@code
 * https://{hsm}.managedhsm.azure.net/keys/{name}[/{version}]}. A versionless reference follows the
 * latest version ({@link #resolveLatest}).
 *
 * <pre>{@code
 * AzureKeyVaultProvider provider = AzureKeyVaultProvider.builder()
 *     .userAssignedManagedIdentityClientId("00000000-0000-0000-0000-000000000000")
 *     .addVault("https://contoso-cmk.vault.azure.net")
 *     .build();
 * KeyReference kek = KeyReference.parse("https://contoso-cmk.vault.azure.net/keys/fhir-cmk");
 * KeyReference current = provider.resolveLatest(kek);
 * }</pre>
 *
 * <p><b>How it calls Key Vault.</b> {@link #describe} reads the key ({@code GET /keys/{name}/{version}},
 * {@code keys/get} permission; the SDK asks {@code GET /keys/{name}/} for the latest version).
 * {@link #wrap} is done locally with RSA-OAEP-256 on the version's public key, fetched once per
 * version (key material never changes within a version), so writes cost no Key Vault call.
 * {@link #unwrap} is always done by Key Vault ({@code unwrapKey} permission), so revoking access
 * or disabling the key takes effect on the next read.
 *
 * <p><b>Security guarantees.</b>
 *
 * <ul>
 *   <li>Local wrapping never uses a version known to be disabled, expired, not yet valid or without
 *       {@code wrapKey}: the version's attributes are re-read from Key Vault when older than the
 *       {@linkplain Builder#enabledStateTtl(Duration) enabled-state TTL} (default {@value
 *       #DEFAULT_ENABLED_STATE_TTL_SECONDS} s) measured on the injected {@link Clock}. Wrapping needs
 *       only the public key, which keeps working after the key is disabled, so a key disabled less
 *       than one TTL ago may still wrap locally; callers that must never write unreadable data check the enabled state
 *       separately (the core's loss-of-access guard does).
 *   <li>The provider only talks to vaults the application allowed ({@link Builder#addVault}), so an
 *       envelope naming another vault cannot make it send tokens elsewhere; {@link
 *       Builder#allowAnyVault()} is the explicit opt-out.
 *   <li>Every failure is a cmk exception (see {@link KeyVaultErrors} for the classification);
 *       exception messages carry statuses and Key Vault error codes, never key material, tokens or
 *       response bodies.
 * </ul>
 *
 * <p><b>Thread safety:</b> immutable configuration, thread-safe caches; safe for concurrent use.
 * Azure SDK clients are created lazily, one {@code KeyClient} per vault and one {@code
 * CryptographyClient} per key version (bounded caches).
 */
public final class AzureKeyVaultProvider implements KeyEncryptionKeyProvider {

  /** The provider id written into envelopes. */
  public static final String ID = "azure-keyvault";

  /** Default enabled-state TTL, in seconds. */
  public static final long DEFAULT_ENABLED_STATE_TTL_SECONDS = 30;

  private static final System.Logger LOG = System.getLogger(AzureKeyVaultProvider.class.getName());
  private static final int MAX_CACHED_VERSIONS = 1024;
  private static final int MAX_CRYPTO_CLIENTS = 256;

  /** What is known about one key version, and when it was read from Key Vault. */
  private record CachedVersion(KeyDescription description, RSAPublicKey publicKey, Instant readAt) {}

  private final TokenCredential credential;
  private final HttpPipeline pipeline;
  private final HttpClient httpClient;
  private final RetryOptions retryOptions;
  private final KeyServiceVersion serviceVersion;
  private final boolean disableChallengeResourceVerification;
  private final Set<String> allowedVaults;
  private final boolean anyVault;
  private final Clock clock;
  private final Duration enabledStateTtl;
  private final RateBudget rateBudget;

  private final ConcurrentHashMap<String, KeyClient> keyClients = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, SlidingWindowBudget> budgets = new ConcurrentHashMap<>();
  private final BoundedCache<KeyReference, CryptographyClient> cryptographyClients =
      new BoundedCache<>(MAX_CRYPTO_CLIENTS);
  private final BoundedCache<KeyReference, CachedVersion> versions =
      new BoundedCache<>(MAX_CACHED_VERSIONS);
  private volatile boolean closed;

  private AzureKeyVaultProvider(Builder b) {
    this.pipeline = b.pipeline;
    this.httpClient = b.httpClient;
    this.retryOptions = b.retryOptions;
    this.serviceVersion = b.serviceVersion;
    this.disableChallengeResourceVerification = b.disableChallengeResourceVerification;
    this.allowedVaults = Set.copyOf(b.vaults);
    this.anyVault = b.anyVault;
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    this.enabledStateTtl =
        b.enabledStateTtl != null ? b.enabledStateTtl : Duration.ofSeconds(DEFAULT_ENABLED_STATE_TTL_SECONDS);
    this.rateBudget = b.rateBudgetDisabled ? null : (b.rateBudget != null ? b.rateBudget : RateBudget.defaultBudget());
    this.credential = b.pipeline != null ? null : b.createCredential();
  }

  /**
   * A builder. Choose exactly one credential (or an {@link Builder#pipeline(HttpPipeline)
   * HttpPipeline}) and the vaults to serve.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String id() {
    return ID;
  }

  /**
   * Whether the reference is an Azure Key Vault or Managed HSM key in an allowed vault.
   *
   * @param reference a key reference
   * @return whether this provider serves it
   */
  @Override
  public boolean serves(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    if (reference.kind() != KeyReference.Kind.AZURE_KEY_VAULT
        && reference.kind() != KeyReference.Kind.AZURE_MANAGED_HSM) {
      return false;
    }
    return anyVault || allowedVaults.contains(reference.vaultUrl().orElseThrow());
  }

  /**
   * Reads one version of a key (the latest for a versionless reference) from Key Vault and maps
   * it: key type ({@code RSA} or {@code RSA-HSM}; Managed HSM keys are always HSM-protected), size
   * from the modulus, version, enabled, not-before, expiry, permitted operations and the vault's
   * soft-delete / purge-protection from {@code recoveryLevel} and {@code recoverableDays}.
   *
   * <p>Key Vault refuses {@code get} on a disabled version; the description of a disabled version
   * is then built from the version listing ({@code keys/list}), with type, size and operations
   * from an earlier read when there was one (otherwise {@link KeyType#OTHER}, 0 and none). Without
   * list permission the disabled state is reported as {@link KeyAccessDeniedException} {@code
   * KEY_DISABLED}.
   *
   * @param reference the key, versioned or not
   * @return the description, pinned to the version described
   * @throws KeyNotFoundException if the key or version does not exist, or the vault is not allowed
   * @throws KeyAccessDeniedException if the identity may not read the key, or the token endpoint
   *     refuses the identity ({@code IDENTITY_NOT_AUTHORIZED})
   * @throws KeyProviderUnavailableException on throttling, 5xx, timeouts and connection failures
   * @throws IllegalStateException if the provider is closed
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    checkServed(reference);
    return read(reference).description();
  }

  /**
   * Wraps a data key locally with RSA-OAEP-256 under the version's public key, after checking the
   * version's cached state (re-read when older than the enabled-state TTL).
   *
   * @param reference the key version (must be versioned)
   * @param dataKey the data key; not modified or retained
   * @return the wrapped key, naming the version and {@link WrapAlgorithm#RSA_OAEP_256}
   * @throws IllegalArgumentException if {@code reference} is not versioned or the data key is too
   *     long for the key
   * @throws KeyNotFoundException if the version does not exist, or the vault is not allowed
   * @throws KeyAccessDeniedException if the version is disabled, outside its validity window, does
   *     not permit {@code wrapKey}, is not an RSA key, or may not be read
   * @throws KeyProviderUnavailableException on transient failures while re-reading the state
   * @throws IllegalStateException if the provider is closed
   */
  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(dataKey, "dataKey");
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException("wrap needs a versioned key reference: " + reference);
    }
    checkServed(reference);
    Instant now = clock.instant();
    CachedVersion cached = versions.get(reference);
    if (cached == null || isStale(cached, now)) {
      cached = read(reference);
    }
    KeyDescription d = cached.description();
    if (!d.enabled()) {
      throw new KeyAccessDeniedException("key version is disabled", Reason.KEY_DISABLED, reference);
    }
    if (!d.isValidAt(now)) {
      throw new KeyAccessDeniedException(
          "key version is outside its not-before / expiry window", Reason.KEY_NOT_VALID_NOW, reference);
    }
    if (!d.operations().contains(KeyOperation.WRAP_KEY)) {
      throw new KeyAccessDeniedException(
          "key version does not permit wrapKey", Reason.OPERATION_NOT_PERMITTED, reference);
    }
    if (cached.publicKey() == null) {
      throw new KeyAccessDeniedException(
          "key type " + d.keyType().jwkName() + " cannot wrap data keys",
          Reason.OPERATION_NOT_PERMITTED,
          reference);
    }
    byte[] plain = dataKey.copy();
    try {
      return new WrappedKey(ID, reference, WrapAlgorithm.RSA_OAEP_256, RsaOaep.wrap(cached.publicKey(), plain));
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * Unwraps a data key with Key Vault's {@code unwrapKey} ({@code RSA-OAEP-256}, or {@code
   * RSA-OAEP} for keys wrapped with it).
   *
   * @param wrappedKey what {@link #wrap} returned
   * @return the data key; the caller owns it
   * @throws IllegalArgumentException if the wrapped key was made by another provider
   * @throws InvalidCiphertextException if Key Vault rejects the wrapped bytes (HTTP 400), or
   *     answers without a key; it carries no cause (the SDK error is logged at debug level, as
   *     status and Key Vault error codes only), so it cannot tell an RSA-OAEP rejection apart
   *     from an envelope tag failure
   * @throws KeyNotFoundException if the version does not exist, or the vault is not allowed
   * @throws KeyAccessDeniedException if the version is disabled, the identity is forbidden, or the
   *     token endpoint refuses the identity ({@code IDENTITY_NOT_AUTHORIZED})
   * @throws KeyProviderUnavailableException on transient failures
   * @throws IllegalStateException if the provider is closed
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    if (!ID.equals(wrappedKey.providerId())) {
      throw new IllegalArgumentException(
          "the wrapped key was made by provider '" + wrappedKey.providerId() + "', not '" + ID + "'");
    }
    KeyReference reference = wrappedKey.keyReference();
    checkServed(reference);
    KeyWrapAlgorithm algorithm =
        wrappedKey.algorithm() == WrapAlgorithm.RSA_OAEP_256
            ? KeyWrapAlgorithm.RSA_OAEP_256
            : KeyWrapAlgorithm.RSA_OAEP;
    CryptographyClient client = cryptographyClient(reference);
    acquire(reference, "unwrapKey");
    UnwrapResult result;
    try {
      result = client.unwrapKey(algorithm, wrappedKey.ciphertext());
    } catch (RuntimeException e) {
      if (KeyVaultErrors.isBadRequest(e)) {
        // No cause: a vendor exception behind InvalidCiphertextException would tell an OAEP
        // rejection from a tag failure to anyone who logs causes. Status and codes only, at debug.
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
          LOG.log(System.Logger.Level.DEBUG, "unwrapKey of {0}: Key Vault rejected the wrapped bytes ({1})",
              reference, KeyVaultErrors.describe(e));
        }
        throw new InvalidCiphertextException();
      }
      throw KeyVaultErrors.classify(e, reference, "unwrapKey");
    }
    byte[] key = result.getKey();
    if (key == null || key.length == 0) {
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrapOwned(key);
  }

  /**
   * The public key of a version (read once per version; key material never changes).
   *
   * @param reference the key version (must be versioned)
   * @return the RSA public key, or empty for non-RSA keys
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist, or the vault is not allowed
   * @throws KeyAccessDeniedException if the identity may not read the key, or the token endpoint
   *     refuses the identity ({@code IDENTITY_NOT_AUTHORIZED})
   * @throws KeyProviderUnavailableException on transient failures
   * @throws IllegalStateException if the provider is closed
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException("publicKey needs a versioned key reference: " + reference);
    }
    checkServed(reference);
    CachedVersion cached = versions.get(reference);
    if (cached == null || cached.publicKey() == null) {
      cached = read(reference);
    }
    return Optional.ofNullable(cached.publicKey());
  }

  /** Drops cached keys and clients; later calls throw {@link IllegalStateException}. Idempotent. */
  @Override
  public void close() {
    closed = true;
    versions.clear();
    cryptographyClients.clear();
    keyClients.clear();
  }

  @Override
  public String toString() {
    return "AzureKeyVaultProvider[vaults=" + (anyVault ? "*" : allowedVaults) + "]";
  }

  // ---------------------------------------------------------------- reading keys

  private boolean isStale(CachedVersion cached, Instant now) {
    return now.isBefore(cached.readAt()) || !now.isBefore(cached.readAt().plus(enabledStateTtl));
  }

  private CachedVersion read(KeyReference reference) {
    KeyClient client = keyClient(reference);
    acquire(reference, "getKey");
    KeyVaultKey key;
    try {
      key = client.getKey(reference.name(), reference.version().orElse(null));
    } catch (RuntimeException e) {
      KeyProviderException classified = KeyVaultErrors.classify(e, reference, "getKey");
      if (classified instanceof KeyAccessDeniedException
          && ((KeyAccessDeniedException) classified).reason() == Reason.KEY_DISABLED) {
        return readDisabled(reference, client, (KeyAccessDeniedException) classified);
      }
      throw classified;
    }
    CachedVersion cached = toCached(reference, key);
    versions.put(cached.description().reference(), cached);
    return cached;
  }

  /** Key Vault refused {@code get} because the version is disabled: describe it from the listing. */
  private CachedVersion readDisabled(
      KeyReference reference, KeyClient client, KeyAccessDeniedException disabled) {
    KeyProperties match = null;
    try {
      acquire(reference, "listKeyVersions");
      for (KeyProperties p : client.listPropertiesOfKeyVersions(reference.name())) {
        if (reference.isVersioned()) {
          if (reference.version().orElseThrow().equalsIgnoreCase(p.getVersion())) {
            match = p;
          }
        } else if (match == null
            || (p.getCreatedOn() != null
                && match.getCreatedOn() != null
                && !p.getCreatedOn().isBefore(match.getCreatedOn()))) {
          match = p;
        }
      }
    } catch (RuntimeException e) {
      disabled.addSuppressed(KeyVaultErrors.classify(e, reference, "listKeyVersions"));
      throw disabled;
    }
    if (match == null || match.getVersion() == null || !Boolean.FALSE.equals(match.isEnabled())) {
      throw disabled;
    }
    KeyReference versioned = reference.withVersion(match.getVersion());
    CachedVersion earlier = versions.get(versioned);
    KeyType type = KeyType.OTHER;
    int size = 0;
    Set<KeyOperation> ops = Set.of();
    RSAPublicKey publicKey = null;
    if (earlier != null) {
      type = earlier.description().keyType();
      size = earlier.description().sizeBits();
      ops = earlier.description().operations();
      publicKey = earlier.publicKey();
    }
    KeyDescription description =
        new KeyDescription(
            versioned,
            type,
            size,
            false,
            instant(match.getNotBefore()),
            instant(match.getExpiresOn()),
            ops,
            protection(match));
    CachedVersion cached = new CachedVersion(description, publicKey, clock.instant());
    versions.put(versioned, cached);
    return cached;
  }

  private CachedVersion toCached(KeyReference reference, KeyVaultKey key) {
    KeyProperties p = key.getProperties();
    JsonWebKey jwk = key.getKey();
    if (p == null || jwk == null || p.getVersion() == null || p.getName() == null
        || !p.getName().equalsIgnoreCase(reference.name())) {
      throw new KeyProviderUnavailableException(
          "getKey failed: Key Vault answered with an unexpected key identifier", reference, null);
    }
    KeyReference versioned = reference.withVersion(p.getVersion());
    if (reference.isVersioned() && !versioned.equals(reference)) {
      throw new KeyProviderUnavailableException(
          "getKey failed: Key Vault answered with another version", reference, null);
    }
    boolean managedHsm = reference.kind() == KeyReference.Kind.AZURE_MANAGED_HSM;
    KeyType type = keyType(jwk.getKeyType() == null ? null : jwk.getKeyType().toString(), managedHsm);
    RSAPublicKey publicKey = null;
    int size = 0;
    if (type.isRsa()) {
      try {
        publicKey = RsaOaep.publicKey(jwk.getN(), jwk.getE());
      } catch (IllegalArgumentException e) {
        throw new KeyProviderUnavailableException(
            "getKey failed: Key Vault answered with an invalid RSA key", reference, e);
      }
      size = new BigInteger(1, jwk.getN()).bitLength();
    }
    Set<KeyOperation> ops = EnumSet.noneOf(KeyOperation.class);
    if (jwk.getKeyOps() != null) {
      for (com.azure.security.keyvault.keys.models.KeyOperation op : jwk.getKeyOps()) {
        KeyOperation mapped = keyOperation(op.toString());
        if (mapped != null) {
          ops.add(mapped);
        }
      }
    }
    KeyDescription description =
        new KeyDescription(
            versioned,
            type,
            size,
            !Boolean.FALSE.equals(p.isEnabled()),
            instant(p.getNotBefore()),
            instant(p.getExpiresOn()),
            ops,
            protection(p));
    return new CachedVersion(description, publicKey, clock.instant());
  }

  static KeyType keyType(String kty, boolean managedHsm) {
    if (kty == null) {
      return KeyType.OTHER;
    }
    KeyType type;
    switch (kty.toUpperCase(Locale.ROOT)) {
      case "RSA":
        type = KeyType.RSA;
        break;
      case "RSA-HSM":
        type = KeyType.RSA_HSM;
        break;
      case "EC":
        type = KeyType.EC;
        break;
      case "EC-HSM":
        type = KeyType.EC_HSM;
        break;
      case "OCT":
        type = KeyType.OCT;
        break;
      case "OCT-HSM":
        type = KeyType.OCT_HSM;
        break;
      default:
        return KeyType.OTHER;
    }
    if (managedHsm) {
      // Every Managed HSM key lives in the HSM, whatever label it carries.
      switch (type) {
        case RSA:
          return KeyType.RSA_HSM;
        case EC:
          return KeyType.EC_HSM;
        case OCT:
          return KeyType.OCT_HSM;
        default:
          return type;
      }
    }
    return type;
  }

  static KeyOperation keyOperation(String azureName) {
    switch (azureName) {
      case "encrypt":
        return KeyOperation.ENCRYPT;
      case "decrypt":
        return KeyOperation.DECRYPT;
      case "sign":
        return KeyOperation.SIGN;
      case "verify":
        return KeyOperation.VERIFY;
      case "wrapKey":
        return KeyOperation.WRAP_KEY;
      case "unwrapKey":
        return KeyOperation.UNWRAP_KEY;
      case "import":
        return KeyOperation.IMPORT;
      case "export":
        return KeyOperation.EXPORT;
      default:
        return null;
    }
  }

  private static VaultProtection protection(KeyProperties p) {
    return p.getRecoveryLevel() == null
        ? VaultProtection.none()
        : VaultProtection.fromAzureRecoveryLevel(p.getRecoveryLevel(), p.getRecoverableDays());
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  // ---------------------------------------------------------------- clients and budget

  private void checkServed(KeyReference reference) {
    if (closed) {
      throw new IllegalStateException("the provider is closed");
    }
    if (!serves(reference)) {
      throw new KeyNotFoundException(
          "no configured Azure Key Vault serves this key (allowed vaults: "
              + (anyVault ? "any" : allowedVaults)
              + ")",
          reference);
    }
  }

  private KeyClient keyClient(KeyReference reference) {
    String vaultUrl = reference.vaultUrl().orElseThrow();
    return keyClients.computeIfAbsent(vaultUrl, this::newKeyClient);
  }

  private KeyClient newKeyClient(String vaultUrl) {
    KeyClientBuilder b = new KeyClientBuilder().vaultUrl(vaultUrl);
    if (pipeline != null) {
      b.pipeline(pipeline);
    } else {
      b.credential(credential).clientOptions(new ClientOptions().setApplicationId("cmk"));
      if (httpClient != null) {
        b.httpClient(httpClient);
      }
      if (retryOptions != null) {
        b.retryOptions(retryOptions);
      }
      if (disableChallengeResourceVerification) {
        b.disableChallengeResourceVerification();
      }
    }
    if (serviceVersion != null) {
      b.serviceVersion(serviceVersion);
    }
    return b.buildClient();
  }

  private CryptographyClient cryptographyClient(KeyReference reference) {
    return cryptographyClients.computeIfAbsent(reference, this::newCryptographyClient);
  }

  private CryptographyClient newCryptographyClient(KeyReference reference) {
    CryptographyClientBuilder b =
        new CryptographyClientBuilder().keyIdentifier(reference.toString()).disableKeyCaching();
    if (pipeline != null) {
      b.pipeline(pipeline);
    } else {
      b.credential(credential).clientOptions(new ClientOptions().setApplicationId("cmk"));
      if (httpClient != null) {
        b.httpClient(httpClient);
      }
      if (retryOptions != null) {
        b.retryOptions(retryOptions);
      }
      if (disableChallengeResourceVerification) {
        b.disableChallengeResourceVerification();
      }
    }
    if (serviceVersion != null) {
      b.serviceVersion(CryptographyServiceVersion.valueOf(serviceVersion.name()));
    }
    return b.buildClient();
  }

  private void acquire(KeyReference reference, String operation) {
    if (rateBudget == null) {
      return;
    }
    SlidingWindowBudget budget =
        budgets.computeIfAbsent(
            reference.vaultUrl().orElseThrow(),
            v -> new SlidingWindowBudget(rateBudget.operations(), rateBudget.window(), rateBudget.maxWait()));
    try {
      budget.acquire();
    } catch (SlidingWindowBudget.ExhaustedException e) {
      throw new KeyProviderUnavailableException(
          operation + " refused: the client-side rate budget of " + rateBudget.operations()
              + " calls per " + rateBudget.window().toMillis() + " ms for this vault is exhausted",
          reference,
          e.waitTime(),
          null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyProviderUnavailableException(
          operation + " interrupted while waiting for the rate budget", reference, e);
    }
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures an {@link AzureKeyVaultProvider}, following Azure SDK builder conventions.
   *
   * <p>Exactly one way to authenticate is required: {@link #credential(TokenCredential)}, {@link
   * #systemAssignedManagedIdentity()}, {@link #userAssignedManagedIdentityClientId(String)}, {@link
   * #userAssignedManagedIdentityResourceId(String)}, {@link #defaultAzureCredential()}, or a
   * complete {@link #pipeline(HttpPipeline)} (which then also replaces the HTTP client, retry and
   * challenge settings). At least one {@link #addVault(String) vault} is required unless {@link
   * #allowAnyVault()} is called. Single-valued settings may be set once; setting one twice is an
   * {@link IllegalStateException}.
   */
  public static final class Builder {
    private enum CredentialKind {
      TOKEN_CREDENTIAL,
      SYSTEM_ASSIGNED,
      USER_ASSIGNED_CLIENT_ID,
      USER_ASSIGNED_RESOURCE_ID,
      DEFAULT_AZURE_CREDENTIAL
    }

    private CredentialKind credentialKind;
    private TokenCredential tokenCredential;
    private String managedIdentityId;
    private HttpPipeline pipeline;
    private HttpClient httpClient;
    private RetryOptions retryOptions;
    private KeyServiceVersion serviceVersion;
    private boolean disableChallengeResourceVerification;
    private final Set<String> vaults = new LinkedHashSet<>();
    private boolean anyVault;
    private Clock clock;
    private Duration enabledStateTtl;
    private RateBudget rateBudget;
    private boolean rateBudgetDisabled;

    private Builder() {}

    private void setCredential(CredentialKind kind) {
      if (credentialKind != null) {
        throw new IllegalStateException(
            "a credential was already chosen (" + credentialKind + "); choose exactly one");
      }
      credentialKind = kind;
    }

    /**
     * Authenticates with any azure-core {@link TokenCredential} (e.g. a {@code
     * WorkloadIdentityCredential} or {@code ClientCertificateCredential}).
     *
     * @param credential the credential
     * @return this builder
     */
    public Builder credential(TokenCredential credential) {
      Objects.requireNonNull(credential, "credential");
      setCredential(CredentialKind.TOKEN_CREDENTIAL);
      this.tokenCredential = credential;
      return this;
    }

    /**
     * Authenticates as the host's system-assigned managed identity.
     *
     * @return this builder
     */
    public Builder systemAssignedManagedIdentity() {
      setCredential(CredentialKind.SYSTEM_ASSIGNED);
      return this;
    }

    /**
     * Authenticates as a user-assigned managed identity, selected by its client id.
     *
     * @param clientId the identity's client (application) id
     * @return this builder
     */
    public Builder userAssignedManagedIdentityClientId(String clientId) {
      Objects.requireNonNull(clientId, "clientId");
      if (clientId.isBlank()) {
        throw new IllegalArgumentException("clientId must not be blank");
      }
      setCredential(CredentialKind.USER_ASSIGNED_CLIENT_ID);
      this.managedIdentityId = clientId;
      return this;
    }

    /**
     * Authenticates as a user-assigned managed identity, selected by its ARM resource id ({@code
     * /subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}}).
     *
     * @param resourceId the identity's resource id
     * @return this builder
     */
    public Builder userAssignedManagedIdentityResourceId(String resourceId) {
      Objects.requireNonNull(resourceId, "resourceId");
      if (!resourceId.startsWith("/subscriptions/")) {
        throw new IllegalArgumentException("resourceId must be an ARM resource id (/subscriptions/...)");
      }
      setCredential(CredentialKind.USER_ASSIGNED_RESOURCE_ID);
      this.managedIdentityId = resourceId;
      return this;
    }

    /**
     * Authenticates with {@code DefaultAzureCredential} (environment, workload identity, managed
     * identity, developer tools), convenient for development; prefer an explicit identity in
     * production.
     *
     * @return this builder
     */
    public Builder defaultAzureCredential() {
      setCredential(CredentialKind.DEFAULT_AZURE_CREDENTIAL);
      return this;
    }

    /**
     * Uses a complete azure-core pipeline for every call (authentication, retries, HTTP client
     * included). Excludes a credential, {@link #httpClient}, {@link #retryOptions} and {@link
     * #disableChallengeResourceVerification()}.
     *
     * @param pipeline the pipeline
     * @return this builder
     */
    public Builder pipeline(HttpPipeline pipeline) {
      Objects.requireNonNull(pipeline, "pipeline");
      if (this.pipeline != null) {
        throw new IllegalStateException("pipeline was already set");
      }
      this.pipeline = pipeline;
      return this;
    }

    /**
     * The azure-core HTTP client for Key Vault and for managed-identity token requests (e.g. a JDK
     * {@code HttpClient} with a custom {@code SSLContext} or timeouts). Default: the SDK's.
     *
     * @param httpClient the client
     * @return this builder
     */
    public Builder httpClient(HttpClient httpClient) {
      Objects.requireNonNull(httpClient, "httpClient");
      if (this.httpClient != null) {
        throw new IllegalStateException("httpClient was already set");
      }
      this.httpClient = httpClient;
      return this;
    }

    /**
     * The SDK's retry options for Key Vault calls and for the token requests of the credentials
     * this builder creates. Default: the SDK's (3 retries, exponential back-off, honouring {@code
     * Retry-After}; 429 and 5xx are retried, 401/403/404 not). MSAL adds its own retries of
     * managed-identity token requests (3, one second apart).
     *
     * @param retryOptions the options
     * @return this builder
     */
    public Builder retryOptions(RetryOptions retryOptions) {
      Objects.requireNonNull(retryOptions, "retryOptions");
      if (this.retryOptions != null) {
        throw new IllegalStateException("retryOptions was already set");
      }
      this.retryOptions = retryOptions;
      return this;
    }

    /**
     * Pins the Key Vault REST api-version. Default: the SDK's latest.
     *
     * @param serviceVersion the version
     * @return this builder
     */
    public Builder serviceVersion(KeyServiceVersion serviceVersion) {
      Objects.requireNonNull(serviceVersion, "serviceVersion");
      if (this.serviceVersion != null) {
        throw new IllegalStateException("serviceVersion was already set");
      }
      this.serviceVersion = serviceVersion;
      return this;
    }

    /**
     * Turns off the SDK's check that the authentication challenge's resource matches the vault's
     * domain. Only for vaults reached under a non-Azure name (a private DNS alias, a loopback test
     * server on 127.0.0.1); never needed for {@code *.vault.azure.net} names.
     *
     * @return this builder
     */
    public Builder disableChallengeResourceVerification() {
      this.disableChallengeResourceVerification = true;
      return this;
    }

    /**
     * Allows a vault or Managed HSM; keys elsewhere are not served (see {@link
     * AzureKeyVaultProvider#serves}).
     *
     * @param vaultUrl e.g. {@code https://contoso-cmk.vault.azure.net} (a port is allowed for
     *     loopback tests); a key URL is accepted and reduced to its vault
     * @return this builder
     * @throws IllegalArgumentException if it is not a Key Vault or Managed HSM URL
     */
    public Builder addVault(String vaultUrl) {
      Objects.requireNonNull(vaultUrl, "vaultUrl");
      URI uri;
      try {
        uri = URI.create(vaultUrl.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a vault URL: " + vaultUrl, e);
      }
      String authority = uri.getRawAuthority();
      if (!"https".equalsIgnoreCase(uri.getScheme()) || authority == null) {
        throw new IllegalArgumentException("a vault URL must be https://{vault-host}: " + vaultUrl);
      }
      KeyReference probe = KeyReference.parse("https://" + authority + "/keys/probe");
      vaults.add(probe.vaultUrl().orElseThrow());
      return this;
    }

    /**
     * Serves keys in any Key Vault or Managed HSM named by a reference. Weaker than listing the
     * vaults: an envelope could then make the provider call (and present its token to) any vault.
     *
     * @return this builder
     */
    public Builder allowAnyVault() {
      this.anyVault = true;
      return this;
    }

    /**
     * The clock for the enabled-state TTL and not-before / expiry checks. Default: the system
     * clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      Objects.requireNonNull(clock, "clock");
      if (this.clock != null) {
        throw new IllegalStateException("clock was already set");
      }
      this.clock = clock;
      return this;
    }

    /**
     * How long a version's enabled state, validity window and permitted operations, read from Key
     * Vault, are trusted for local wrapping before being read again. Default {@value
     * AzureKeyVaultProvider#DEFAULT_ENABLED_STATE_TTL_SECONDS} seconds; zero re-reads on every
     * wrap.
     *
     * @param ttl the time to live, not negative
     * @return this builder
     */
    public Builder enabledStateTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("ttl must not be negative");
      }
      if (this.enabledStateTtl != null) {
        throw new IllegalStateException("enabledStateTtl was already set");
      }
      this.enabledStateTtl = ttl;
      return this;
    }

    /**
     * The client-side rate budget per vault. Default {@link RateBudget#defaultBudget()}.
     *
     * @param budget the budget
     * @return this builder
     */
    public Builder rateBudget(RateBudget budget) {
      Objects.requireNonNull(budget, "budget");
      if (this.rateBudget != null || rateBudgetDisabled) {
        throw new IllegalStateException("the rate budget was already configured");
      }
      this.rateBudget = budget;
      return this;
    }

    /**
     * Sends every call at once, relying only on Key Vault's throttling and the SDK's retries.
     *
     * @return this builder
     */
    public Builder disableRateBudget() {
      if (this.rateBudget != null || rateBudgetDisabled) {
        throw new IllegalStateException("the rate budget was already configured");
      }
      this.rateBudgetDisabled = true;
      return this;
    }

    /**
     * Builds the provider. No network call is made until the first operation.
     *
     * @return the provider
     * @throws IllegalStateException if no or several credentials were chosen, a pipeline is
     *     combined with client settings, or no vault was allowed
     */
    public AzureKeyVaultProvider build() {
      if (pipeline != null) {
        if (credentialKind != null
            || httpClient != null
            || retryOptions != null
            || disableChallengeResourceVerification) {
          throw new IllegalStateException(
              "a pipeline replaces the credential, httpClient, retryOptions and challenge settings;"
                  + " set them on the pipeline instead");
        }
      } else if (credentialKind == null) {
        throw new IllegalStateException(
            "choose a credential: credential(...), systemAssignedManagedIdentity(),"
                + " userAssignedManagedIdentityClientId(...),"
                + " userAssignedManagedIdentityResourceId(...), defaultAzureCredential() or"
                + " pipeline(...)");
      }
      if (vaults.isEmpty() && !anyVault) {
        throw new IllegalStateException("allow at least one vault with addVault(...), or allowAnyVault()");
      }
      return new AzureKeyVaultProvider(this);
    }

    private TokenCredential createCredential() {
      switch (credentialKind) {
        case TOKEN_CREDENTIAL:
          return tokenCredential;
        case SYSTEM_ASSIGNED:
          return managedIdentity().build();
        case USER_ASSIGNED_CLIENT_ID:
          return managedIdentity().clientId(managedIdentityId).build();
        case USER_ASSIGNED_RESOURCE_ID:
          return managedIdentity().resourceId(managedIdentityId).build();
        case DEFAULT_AZURE_CREDENTIAL:
          DefaultAzureCredentialBuilder d = new DefaultAzureCredentialBuilder();
          if (httpClient != null) {
            d.httpClient(httpClient);
          }
          if (retryOptions != null) {
            d.retryOptions(retryOptions);
          }
          return d.build();
        default:
          throw new AssertionError(credentialKind);
      }
    }

    private ManagedIdentityCredentialBuilder managedIdentity() {
      // Sees the endpoint's HTTP 400 that MSAL drops, so that a deleted, disabled or unassigned
      // identity is classified IDENTITY_NOT_AUTHORIZED whatever the endpoint's wording.
      ManagedIdentityCredentialBuilder m =
          new ManagedIdentityCredentialBuilder().addPolicy(new ManagedIdentityRefusalPolicy());
      if (httpClient != null) {
        m.httpClient(httpClient);
      }
      if (retryOptions != null) {
        m.retryOptions(retryOptions);
      }
      return m;
    }
  }
}
