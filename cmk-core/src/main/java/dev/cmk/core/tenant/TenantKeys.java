package dev.cmk.core.tenant;

import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.core.KeyPolicy;
import java.util.List;
import java.util.Objects;

/**
 * One tenant's key configuration, as a {@link TenantKeySource} returns it.
 *
 * <p>A tenant's instance reads exactly the keys named here — the write key and the decrypt-only
 * keys — through the named providers, and nothing else: an envelope of another tenant is refused
 * with {@link dev.cmk.api.KeyNotFoundException} before any provider call, even when both tenants'
 * keys live in one vault behind one shared provider. After a move to another key, vault or HSM,
 * list the previous key under {@code decryptOnly} so its envelopes stay readable after the tenant
 * was evicted and rebuilt.
 *
 * @param provider the name of the provider (a vault with its identity and rate budget) that serves
 *     the key, as the registry's provider factory knows it
 * @param key the tenant's write key, versionless (follows the latest version) or versioned
 * @param policy the key policy the tenant's key must meet
 * @param keyAccess the loss-of-access timing; its probe interval is the longest the tenant's key
 *     goes unconfirmed (the registry spreads tenants' probes below it)
 * @param decryptOnly keys the tenant reads but no longer writes under, possibly empty
 */
public record TenantKeys(
    String provider,
    KeyReference key,
    KeyPolicy policy,
    KeyAccessSettings keyAccess,
    List<ProviderKey> decryptOnly) {

  /**
   * A key and the provider that serves it.
   *
   * @param provider the provider's name, as the registry's provider factory knows it
   * @param key the key (any version of it is readable)
   */
  public record ProviderKey(String provider, KeyReference key) {
    /**
     * Validates.
     *
     * @param provider the provider's name
     * @param key the key
     */
    public ProviderKey {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * Validates and copies.
   *
   * @param provider see {@link #provider()}
   * @param key see {@link #key()}
   * @param policy see {@link #policy()}
   * @param keyAccess see {@link #keyAccess()}
   * @param decryptOnly see {@link #decryptOnly()}
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code provider} is blank
   */
  public TenantKeys {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(keyAccess, "keyAccess");
    decryptOnly = List.copyOf(Objects.requireNonNull(decryptOnly, "decryptOnly"));
    if (provider.isBlank()) {
      throw new IllegalArgumentException("provider must not be blank");
    }
  }

  /**
   * A tenant writing under {@code key} through {@code provider}, with the default loss-of-access
   * timing ({@link KeyAccessSettings#DEFAULT}) and no decrypt-only keys.
   *
   * @param provider the provider's name
   * @param key the write key
   * @param policy the key policy
   * @return the configuration
   */
  public static TenantKeys of(String provider, KeyReference key, KeyPolicy policy) {
    return new TenantKeys(provider, key, policy, KeyAccessSettings.DEFAULT, List.of());
  }

  /**
   * A copy with other loss-of-access timing.
   *
   * @param settings the timing
   * @return the copy
   */
  public TenantKeys withKeyAccess(KeyAccessSettings settings) {
    return new TenantKeys(provider, key, policy, settings, decryptOnly);
  }

  /**
   * A copy that also reads {@code oldKey} through {@code oldProvider} (a key the tenant wrote under
   * before a move).
   *
   * @param oldProvider the provider's name
   * @param oldKey the key
   * @return the copy
   */
  public TenantKeys withDecryptOnly(String oldProvider, KeyReference oldKey) {
    List<ProviderKey> l = new java.util.ArrayList<>(decryptOnly);
    l.add(new ProviderKey(oldProvider, oldKey));
    return new TenantKeys(provider, key, policy, keyAccess, l);
  }
}
