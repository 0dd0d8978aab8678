package dev.cmk.azure;

import com.azure.core.http.HttpPipeline;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.UnwrapResult;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.azure.internal.KeyVaultErrors;
import dev.cmk.api.spi.RsaOaep;
import dev.cmk.api.spi.ServedKeys;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *       {@linkplain AzureKeyVaultProviderBuilder#enabledStateTtl(Duration) enabled-state TTL} (default {@value
 *       #DEFAULT_ENABLED_STATE_TTL_SECONDS} s) measured on the injected {@link Clock}. Wrapping needs
 *       only the public key, which keeps working after the key is disabled, so a key disabled less
 *       than one TTL ago may still wrap locally; callers that must never write unreadable data check the enabled state
 *       separately (the core's loss-of-access guard does).
 *   <li>The provider only talks to vaults the application allowed ({@link AzureKeyVaultProviderBuilder#addVault}), so an
 *       envelope naming another vault cannot make it send tokens elsewhere; {@link
 *       AzureKeyVaultProviderBuilder#allowAnyVault()} is the explicit opt-out.
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

  private static final Logger LOG = LoggerFactory.getLogger(AzureKeyVaultProvider.class);

  private final Set<String> allowedVaults;
  private final boolean anyVault;
  private final Clock clock;

  private final VaultClients clients;
  private final KeyVersions versions;
  private volatile boolean closed;

  AzureKeyVaultProvider(AzureKeyVaultProviderBuilder b) {
    this.allowedVaults = Set.copyOf(b.vaults);
    this.anyVault = b.anyVault;
    this.clock = b.clock != null ? b.clock : Clock.systemUTC();
    Duration enabledStateTtl =
        b.enabledStateTtl != null ? b.enabledStateTtl : Duration.ofSeconds(DEFAULT_ENABLED_STATE_TTL_SECONDS);
    this.clients = new VaultClients(b);
    this.versions = new KeyVersions(clients, clock, enabledStateTtl);
  }

  /**
   * A builder. Choose exactly one credential (or an {@link AzureKeyVaultProviderBuilder#pipeline(HttpPipeline)
   * HttpPipeline}) and the vaults to serve.
   *
   * @return a new builder
   */
  public static AzureKeyVaultProviderBuilder builder() {
    return new AzureKeyVaultProviderBuilder();
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
    return versions.read(reference).description();
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
    KeyReference.requireVersioned(reference, "reference");
    checkServed(reference);
    Instant now = clock.instant();
    KeyVersions.CachedVersion cached = versions.cached(reference);
    if (cached == null || versions.isStale(cached, now)) {
      cached = versions.read(reference);
    }
    cached.description().checkUsable(KeyOperation.WRAP_KEY, now);
    if (cached.publicKey() == null) {
      throw new KeyAccessDeniedException(
          "key type " + cached.description().keyType().jwkName() + " cannot wrap data keys",
          Reason.OPERATION_NOT_PERMITTED,
          reference);
    }
    return new WrappedKey(
        ID,
        reference,
        WrapAlgorithm.RSA_OAEP_256,
        RsaOaep.wrap(cached.publicKey(), WrapAlgorithm.RSA_OAEP_256, dataKey));
  }

  /**
   * Unwraps a data key with Key Vault's {@code unwrapKey} ({@code RSA-OAEP-256}, or {@code
   * RSA-OAEP} for keys wrapped with it).
   *
   * @param wrappedKey what {@link #wrap} returned
   * @return the data key; the caller owns it
   * @throws KeyNotFoundException if the wrapped key was made by another provider ({@link
   *     ServedKeys#requireOwn})
   * @throws InvalidCiphertextException if Key Vault rejects the wrapped bytes (HTTP 400), or
   *     answers without a key; it carries no cause (the SDK error is logged at debug level as the
   *     SLF4J event {@code cmk.azure.unwrap-rejected} with the key reference and the answer's
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
    KeyReference reference = ServedKeys.requireOwn(this, wrappedKey);
    checkServed(reference);
    KeyWrapAlgorithm algorithm =
        wrappedKey.algorithm() == WrapAlgorithm.RSA_OAEP_256
            ? KeyWrapAlgorithm.RSA_OAEP_256
            : KeyWrapAlgorithm.RSA_OAEP;
    CryptographyClient client = clients.cryptographyClient(reference);
    clients.acquire(reference, "unwrapKey");
    UnwrapResult result;
    try {
      result = client.unwrapKey(algorithm, wrappedKey.ciphertext());
    } catch (RuntimeException e) {
      if (KeyVaultErrors.isBadRequest(e)) {
        // No cause: a vendor exception behind InvalidCiphertextException would tell an OAEP
        // rejection from a tag failure to anyone who logs causes. Status and codes only, at debug.
        LOG.atDebug()
            .setMessage("cmk.azure.unwrap-rejected")
            .addKeyValue("key", reference)
            .addKeyValue("answer", () -> KeyVaultErrors.describe(e))
            .log();
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
   * The public key of a version (read once per version; key material never changes). A version
   * known only from the listing of a disabled version is read again, since the listing carries
   * no key material; a non-RSA version is not.
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
    KeyReference.requireVersioned(reference, "reference");
    checkServed(reference);
    KeyVersions.CachedVersion cached = versions.cached(reference);
    if (cached == null || cached.lacksKeyMaterial()) {
      cached = versions.read(reference);
    }
    return Optional.ofNullable(cached.publicKey());
  }

  /** Drops cached keys and clients; later calls throw {@link IllegalStateException}. Idempotent. */
  @Override
  public void close() {
    closed = true;
    versions.clear();
    clients.clear();
  }

  @Override
  public String toString() {
    return "AzureKeyVaultProvider[vaults=" + (anyVault ? "*" : allowedVaults) + "]";
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
}
