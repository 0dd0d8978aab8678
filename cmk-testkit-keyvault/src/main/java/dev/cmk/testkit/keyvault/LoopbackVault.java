package dev.cmk.testkit.keyvault;

import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Administration of one vault of a {@link LoopbackKeyVault}: keys, vault settings, access grants,
 * fault injection and the request log. Admin calls act directly on the vault's state (no HTTP, no
 * authentication, no faults, not recorded), like an operator using the portal.
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also while the vault serves requests.
 */
public final class LoopbackVault {
  private final LoopbackKeyVault server;
  private final VaultState state;
  private final LoopbackKeyManager keyManager;

  LoopbackVault(LoopbackKeyVault server, VaultState state) {
    this.server = server;
    this.state = state;
    this.keyManager = new LoopbackKeyManager(this, state);
  }

  /**
   * This vault's keys through cmk-api's {@link KeyManager} vocabulary (create, rotate, enable,
   * validity, operations, import, delete, recover, purge, list), acting directly on the vault's
   * state like the methods below. References to other vaults are not found.
   *
   * @return the key manager of this vault
   */
  public KeyManager keyManager() {
    return keyManager;
  }

  /** The vault (or Managed HSM) name, e.g. {@code myvault}. */
  public String name() {
    return state.name;
  }

  /** The host name, e.g. {@code myvault.vault.azure.net}. */
  public String host() {
    return state.host;
  }

  /** Whether this is a Managed HSM (RSA-HSM keys only, tokens for {@code managedhsm.azure.net}). */
  public boolean isManagedHsm() {
    return state.kind == VaultState.Kind.MANAGED_HSM;
  }

  /** The vault URL, {@code https://{host}:{port}}. */
  public String vaultUrl() {
    return server.urlOf(state);
  }

  // ---------------------------------------------------------------- keys

  /**
   * Creates a software-protected RSA key, or a new version of an existing key.
   *
   * @param keyName key name, 1-127 of {@code [0-9a-zA-Z-]}
   * @param sizeBits 2048, 3072 or 4096
   * @return the new version's reference
   * @throws IllegalArgumentException on a bad name or size, or in a Managed HSM
   * @throws IllegalStateException if the name belongs to a soft-deleted key
   */
  public KeyReference createRsaKey(String keyName, int sizeBits) {
    return create(keyName, sizeBits, "RSA");
  }

  /**
   * Creates an HSM-protected RSA key ({@code RSA-HSM}), or a new version of an existing key.
   *
   * @param keyName key name, 1-127 of {@code [0-9a-zA-Z-]}
   * @param sizeBits 2048, 3072 or 4096
   * @return the new version's reference
   * @throws IllegalArgumentException on a bad name or size
   * @throws IllegalStateException if the name belongs to a soft-deleted key
   */
  public KeyReference createRsaHsmKey(String keyName, int sizeBits) {
    return create(keyName, sizeBits, "RSA-HSM");
  }

  private KeyReference create(String keyName, int sizeBits, String kty) {
    Objects.requireNonNull(keyName, "keyName");
    if (sizeBits != 2048 && sizeBits != 3072 && sizeBits != 4096) {
      throw new IllegalArgumentException("sizeBits must be 2048, 3072 or 4096");
    }
    KeyPair pair = state.keys.generateRsa(sizeBits);
    return reference(keyName, state.keys.addVersion(keyName, kty, pair));
  }

  /**
   * Imports an RSA key pair as a new version (e.g. a key whose private half the test also holds).
   *
   * @param keyName key name
   * @param keyPair an RSA key pair of 2048-4096 bits
   * @param hsm whether to label it {@code RSA-HSM}
   * @return the new version's reference
   * @throws IllegalArgumentException if the pair is not RSA or of an unsupported size
   */
  public KeyReference importRsaKey(String keyName, KeyPair keyPair, boolean hsm) {
    Objects.requireNonNull(keyName, "keyName");
    Objects.requireNonNull(keyPair, "keyPair");
    if (!(keyPair.getPublic() instanceof RSAPublicKey)) {
      throw new IllegalArgumentException("keyPair must be an RSA key pair");
    }
    int bits = ((RSAPublicKey) keyPair.getPublic()).getModulus().bitLength();
    if (bits < 2048 || bits > 4096) {
      throw new IllegalArgumentException("RSA keys must be 2048-4096 bits");
    }
    return reference(keyName, state.keys.addVersion(keyName, hsm ? "RSA-HSM" : "RSA", keyPair));
  }

  /**
   * Rotates a key: a new enabled version of the same type, size and permitted operations.
   *
   * @param keyName the key
   * @return the new version's reference
   * @throws IllegalArgumentException if there is no such active key
   */
  public KeyReference rotateKey(String keyName) {
    Objects.requireNonNull(keyName, "keyName");
    String latest = latestVersion(keyName).version().orElseThrow();
    int bits = state.keys.withVersion(keyName, latest, StoredVersion::sizeBits);
    String kty = state.keys.withVersion(keyName, latest, v -> v.kty);
    KeyPair pair = state.keys.generateRsa(bits);
    return reference(keyName, state.keys.addVersion(keyName, kty, pair));
  }

  /**
   * The latest version of an active key.
   *
   * @param keyName the key
   * @return the latest version's reference
   * @throws IllegalArgumentException if there is no such active key
   */
  public KeyReference latestVersion(String keyName) {
    List<String> ids = state.keys.versionIds(Objects.requireNonNull(keyName, "keyName"));
    return reference(keyName, ids.get(ids.size() - 1));
  }

  /**
   * Every version of an active key, oldest first.
   *
   * @param keyName the key
   * @return the versions
   * @throws IllegalArgumentException if there is no such active key
   */
  public List<KeyReference> versions(String keyName) {
    List<KeyReference> out = new ArrayList<>();
    for (String id : state.keys.versionIds(Objects.requireNonNull(keyName, "keyName"))) {
      out.add(reference(keyName, id));
    }
    return List.copyOf(out);
  }

  /**
   * Enables or disables one version (Key Vault refuses every operation on a disabled version,
   * including {@code get}).
   *
   * @param version a versioned reference of a key in this vault
   * @param enabled the new state
   * @throws IllegalArgumentException if the version does not exist here
   */
  public void setEnabled(KeyReference version, boolean enabled) {
    onVersion(version, v -> {
      v.enabled = enabled;
      return null;
    });
  }

  /**
   * Whether a version is enabled.
   *
   * @param version a versioned reference of a key in this vault
   * @return the state
   * @throws IllegalArgumentException if the version does not exist here
   */
  public boolean isEnabled(KeyReference version) {
    return onVersion(version, v -> v.enabled);
  }

  /**
   * Sets or clears a version's expiry ({@code exp}).
   *
   * @param version a versioned reference of a key in this vault
   * @param expiresOn the expiry, or {@code null} for none
   * @throws IllegalArgumentException if the version does not exist here
   */
  public void setExpiresOn(KeyReference version, Instant expiresOn) {
    onVersion(version, v -> {
      v.expires = expiresOn == null ? null : expiresOn.getEpochSecond();
      return null;
    });
  }

  /**
   * Sets or clears a version's not-before time ({@code nbf}).
   *
   * @param version a versioned reference of a key in this vault
   * @param notBefore the start of validity, or {@code null} for none
   * @throws IllegalArgumentException if the version does not exist here
   */
  public void setNotBefore(KeyReference version, Instant notBefore) {
    onVersion(version, v -> {
      v.notBefore = notBefore == null ? null : notBefore.getEpochSecond();
      return null;
    });
  }

  /**
   * Sets the operations a version permits ({@code key_ops}).
   *
   * @param version a versioned reference of a key in this vault
   * @param operations the permitted operations
   * @throws IllegalArgumentException if the version does not exist here
   */
  public void setKeyOperations(KeyReference version, Set<KeyOperation> operations) {
    Objects.requireNonNull(operations, "operations");
    EnumSet<KeyOperation> ordered = EnumSet.noneOf(KeyOperation.class);
    ordered.addAll(operations);
    List<String> ops = new ArrayList<>();
    for (KeyOperation op : ordered) {
      ops.add(op.jwkName());
    }
    onVersion(version, v -> {
      v.keyOps = List.copyOf(ops);
      return null;
    });
  }

  /**
   * The public key of a version.
   *
   * @param version a versioned reference of a key in this vault
   * @return the public key
   * @throws IllegalArgumentException if the version does not exist here
   */
  public RSAPublicKey publicKey(KeyReference version) {
    return onVersion(version, v -> (RSAPublicKey) v.keyPair.getPublic());
  }

  /**
   * Exports the private key of a version, for interoperability tests (e.g. unwrapping with plain
   * JDK RSA-OAEP). Real Key Vault never releases non-exportable private keys; this is a test aid.
   *
   * @param version a versioned reference of a key in this vault
   * @return the private key
   * @throws IllegalArgumentException if the version does not exist here
   */
  public RSAPrivateCrtKey exportPrivateKey(KeyReference version) {
    return onVersion(version, v -> (RSAPrivateCrtKey) v.keyPair.getPrivate());
  }

  /**
   * Deletes a key: soft-deletes it when soft delete is on, removes it otherwise.
   *
   * @param keyName the key
   * @throws IllegalArgumentException if there is no such active key
   */
  public void deleteKey(String keyName) {
    state.keys.adminDelete(Objects.requireNonNull(keyName, "keyName"));
  }

  /**
   * Purges a soft-deleted key.
   *
   * @param keyName the key
   * @throws IllegalStateException if purge protection is on
   * @throws IllegalArgumentException if there is no such deleted key
   */
  public void purgeDeletedKey(String keyName) {
    state.keys.adminPurge(Objects.requireNonNull(keyName, "keyName"));
  }

  /**
   * Recovers a soft-deleted key.
   *
   * @param keyName the key
   * @throws IllegalArgumentException if there is no such deleted key
   */
  public void recoverDeletedKey(String keyName) {
    state.keys.adminRecover(Objects.requireNonNull(keyName, "keyName"));
  }

  /**
   * Whether a key is soft-deleted (and not yet purged).
   *
   * @param keyName the key
   * @return whether it is in the deleted state
   */
  public boolean isDeleted(String keyName) {
    return state.keys.isDeleted(Objects.requireNonNull(keyName, "keyName"));
  }

  // ---------------------------------------------------------------- vault settings

  /**
   * Turns soft delete on or off and sets the retention ({@code recoverableDays}). Key Vault
   * reports {@code Purgeable} without soft delete, {@code Recoverable+Purgeable} with 90 days and
   * {@code CustomizedRecoverable+Purgeable} with 7-89 days.
   *
   * @param enabled whether deleted keys are kept
   * @param retentionDays 7-90
   * @throws IllegalStateException if turning it off while purge protection is on, deleted keys
   *     exist, or on a Managed HSM
   */
  public void setSoftDelete(boolean enabled, int retentionDays) {
    state.keys.setSoftDelete(enabled, retentionDays);
  }

  /**
   * Turns purge protection on or off (Key Vault then reports {@code Recoverable} / {@code
   * CustomizedRecoverable}). Real vaults cannot turn it off again; the loopback can, for tests.
   *
   * @param enabled whether purging is refused
   * @throws IllegalStateException if turning it on without soft delete
   */
  public void setPurgeProtection(boolean enabled) {
    state.keys.setPurgeProtection(enabled);
  }

  /**
   * Marks the subscription as protected against cancellation ({@code +ProtectedSubscription} in
   * the recovery level when purge protection is on).
   *
   * @param enabled whether the subscription is protected
   */
  public void setProtectedSubscription(boolean enabled) {
    state.keys.setProtectedSubscription(enabled);
  }

  /**
   * Uses Azure RBAC instead of access policies; only changes the denial answer ({@code
   * ForbiddenByRbac} instead of {@code AccessDenied}).
   *
   * @param enabled whether the vault uses RBAC
   * @throws IllegalStateException if turning it off on a Managed HSM
   */
  public void setRbacAuthorization(boolean enabled) {
    state.access.setRbac(enabled);
  }

  /** The {@code recoveryLevel} keys currently report. */
  public String recoveryLevel() {
    return state.keys.recoveryLevel();
  }

  /** The {@code recoverableDays} keys currently report, when soft delete is on. */
  public Optional<Integer> recoverableDays() {
    return Optional.ofNullable(state.keys.recoverableDays());
  }

  // ---------------------------------------------------------------- access

  /**
   * Grants permissions on every key of the vault.
   *
   * @param identity the identity
   * @param permissions what to grant
   */
  public void grant(VaultIdentity identity, KeyPermission... permissions) {
    grant(identity, Set.of(permissions));
  }

  /**
   * Grants permissions on every key of the vault.
   *
   * @param identity the identity
   * @param permissions what to grant
   */
  public void grant(VaultIdentity identity, Set<KeyPermission> permissions) {
    state.access.grant(Objects.requireNonNull(identity, "identity"), null, Set.copyOf(permissions));
  }

  /**
   * Grants permissions on one key only (an RBAC role assignment scoped to the key).
   *
   * @param identity the identity
   * @param keyName the key
   * @param permissions what to grant
   */
  public void grantOnKey(VaultIdentity identity, String keyName, Set<KeyPermission> permissions) {
    state.access.grant(
        Objects.requireNonNull(identity, "identity"),
        Objects.requireNonNull(keyName, "keyName"),
        Set.copyOf(permissions));
  }

  /**
   * Revokes permissions (vault-wide and key-scoped).
   *
   * @param identity the identity
   * @param permissions what to revoke
   */
  public void revoke(VaultIdentity identity, KeyPermission... permissions) {
    state.access.revoke(Objects.requireNonNull(identity, "identity"), Set.of(permissions));
  }

  /**
   * Removes the role assignment scoped to one key ({@link #grantOnKey}); vault-wide grants and
   * grants on other keys stay. Azure RBAC scopes assignments to a vault or a key, never to a key
   * version, so a version is denied by denying its key.
   *
   * @param identity the identity
   * @param keyName the key
   */
  public void revokeOnKey(VaultIdentity identity, String keyName) {
    state.access.revokeOnKey(
        Objects.requireNonNull(identity, "identity"), Objects.requireNonNull(keyName, "keyName"));
  }

  /**
   * Revokes every permission of an identity.
   *
   * @param identity the identity
   */
  public void revokeAll(VaultIdentity identity) {
    state.access.revokeAll(Objects.requireNonNull(identity, "identity"));
  }

  // ---------------------------------------------------------------- faults

  /**
   * Answers the next {@code count} authenticated requests with 429 {@code Throttled} and {@code
   * Retry-After: 1}.
   *
   * @param count how many, not negative
   */
  public void throttleNext(int count) {
    throttleNext(count, Duration.ofSeconds(1));
  }

  /**
   * Answers the next {@code count} authenticated requests with 429 {@code Throttled}.
   *
   * @param count how many, not negative
   * @param retryAfter the {@code Retry-After} to send, whole seconds, at least one second
   */
  public void throttleNext(int count, Duration retryAfter) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (count < 0 || retryAfter.getSeconds() < 1) {
      throw new IllegalArgumentException("count must be >= 0 and retryAfter >= 1 s");
    }
    state.faults.throttleNext(count, retryAfter.getSeconds());
  }

  /**
   * Answers the next {@code count} authenticated requests with a server error.
   *
   * @param count how many, not negative
   * @param status 500-599 (503 answers {@code ServiceUnavailable})
   */
  public void failNext(int count, int status) {
    if (count < 0 || status < 500 || status > 599) {
      throw new IllegalArgumentException("count must be >= 0 and status 500-599");
    }
    state.faults.failNext(count, status);
  }

  /**
   * Delays every answer (including challenges) by {@code latency}.
   *
   * @param latency the delay, not negative
   */
  public void setLatency(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative");
    }
    state.faults.setLatency(latency);
  }

  /**
   * Enforces a service limit like Key Vault's per-vault transaction limits: authenticated
   * requests beyond {@code requests} in any sliding {@code window} get 429 {@code Throttled} with
   * a {@code Retry-After} until the window frees up. Measured in real time.
   *
   * @param requests requests allowed per window, at least 1
   * @param window the window, e.g. 10 s as in Key Vault
   */
  public void setRequestLimit(int requests, Duration window) {
    Objects.requireNonNull(window, "window");
    if (requests < 1 || window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("requests must be >= 1 and window positive");
    }
    state.faults.setRequestLimit(requests, window);
  }

  /** Removes every injected fault, latency and request limit. */
  public void clearFaults() {
    state.faults.clearFaults();
  }

  // ---------------------------------------------------------------- records

  /** Requests received (up to the last 10,000), oldest first. */
  public List<RecordedRequest> requests() {
    return state.faults.records();
  }

  /** Number of requests received since start or {@link #clearRequests()}. */
  public long requestCount() {
    return state.faults.requestCount();
  }

  /** Number of requests answered 429 since start or {@link #clearRequests()}. */
  public long throttledCount() {
    return state.faults.throttledCount();
  }

  /** Clears the request log and counters. */
  public void clearRequests() {
    state.faults.clearRecords();
  }

  // ---------------------------------------------------------------- helpers

  private <T> T onVersion(KeyReference version, java.util.function.Function<StoredVersion, T> f) {
    Objects.requireNonNull(version, "version");
    if (!version.isVersioned()) {
      throw new IllegalArgumentException("a versioned key reference is required");
    }
    if (!KeyVaultHandler.hostOf(version.authority()).equals(state.host)) {
      throw new IllegalArgumentException("key " + version + " is not in vault " + state.host);
    }
    return state.keys.withVersion(version.name(), version.version().orElseThrow(), f);
  }

  private KeyReference reference(String keyName, String version) {
    return KeyReference.parse(vaultUrl() + "/keys/" + state.keys.canonicalName(keyName) + "/" + version);
  }

  @Override
  public String toString() {
    return "LoopbackVault[" + state.host + "]";
  }
}
