package dev.cmk.azure;

import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.azure.internal.BoundedCache;
import dev.cmk.azure.internal.KeyVaultErrors;
import dev.cmk.azure.internal.KeyVaultKeys;
import java.math.BigInteger;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What an {@link AzureKeyVaultProvider} knows about key versions: read from Key Vault ({@code
 * getKey}; for a disabled version, whose {@code get} Key Vault refuses, the version listing) and
 * cached per version (bounded), with the time of the read for the enabled-state TTL.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (a bounded concurrent cache; reads of one
 * version may race, the last one wins).
 */
final class KeyVersions {
  private static final int MAX_CACHED_VERSIONS = 1024;

  /**
   * What is known about one key version, and when it was read from Key Vault.
   *
   * @param publicKey the RSA public key, or null (not an RSA key, or not known: see {@code
   *     fromListing})
   * @param fromListing whether the entry came from the version listing of a disabled version
   *     (Key Vault refuses its {@code get}), so it holds no key material of its own
   */
  record CachedVersion(
      KeyDescription description,
      @Nullable RSAPublicKey publicKey,
      Instant readAt,
      boolean fromListing) {

    /** Whether the public key must be read again: known missing only because of the listing. */
    boolean lacksKeyMaterial() {
      return fromListing && publicKey == null;
    }
  }

  private final VaultClients clients;
  private final Clock clock;
  private final Duration enabledStateTtl;
  private final BoundedCache<KeyReference, CachedVersion> versions =
      new BoundedCache<>(MAX_CACHED_VERSIONS);

  KeyVersions(VaultClients clients, Clock clock, Duration enabledStateTtl) {
    this.clients = clients;
    this.clock = clock;
    this.enabledStateTtl = enabledStateTtl;
  }

  /** The cached entry of a versioned reference, or null. */
  @Nullable CachedVersion cached(KeyReference reference) {
    return versions.get(reference);
  }

  void clear() {
    versions.clear();
  }

  boolean isStale(CachedVersion cached, Instant now) {
    return now.isBefore(cached.readAt()) || !now.isBefore(cached.readAt().plus(enabledStateTtl));
  }

  /**
   * Reads a version (the latest for a versionless reference) from Key Vault and caches it under
   * its versioned reference.
   *
   * @throws dev.cmk.api.KeyProviderException classified by {@link KeyVaultErrors}
   */
  CachedVersion read(KeyReference reference) {
    KeyClient client = clients.keyClient(reference);
    clients.acquire(reference, "getKey");
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
      clients.acquire(reference, "listKeyVersions");
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
            KeyVaultKeys.instant(match.getNotBefore()),
            KeyVaultKeys.instant(match.getExpiresOn()),
            ops,
            KeyVaultKeys.protection(match),
            TokenProtection.none());
    CachedVersion cached = new CachedVersion(description, publicKey, clock.instant(), true);
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
    KeyType type = KeyVaultKeys.keyType(jwk.getKeyType() == null ? null : jwk.getKeyType().toString(), managedHsm);
    RSAPublicKey publicKey = null;
    int size = 0;
    if (type.isRsa()) {
      try {
        publicKey = KeyVaultKeys.rsaPublicKey(jwk.getN(), jwk.getE());
      } catch (IllegalArgumentException e) {
        throw new KeyProviderUnavailableException(
            "getKey failed: Key Vault answered with an invalid RSA key", reference, e);
      }
      size = new BigInteger(1, jwk.getN()).bitLength();
    }
    Set<KeyOperation> ops = EnumSet.noneOf(KeyOperation.class);
    if (jwk.getKeyOps() != null) {
      for (com.azure.security.keyvault.keys.models.KeyOperation op : jwk.getKeyOps()) {
        KeyOperation mapped = KeyVaultKeys.keyOperation(op.toString());
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
            KeyVaultKeys.instant(p.getNotBefore()),
            KeyVaultKeys.instant(p.getExpiresOn()),
            ops,
            KeyVaultKeys.protection(p),
            TokenProtection.none());
    return new CachedVersion(description, publicKey, clock.instant(), false);
  }
}
