package dev.cmk.testkit.keyvault;

import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.spi.KeyManager;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Administration of one vault of a {@link LoopbackKeyVault}: keys, vault settings, access grants,
 * fault injection ({@link #faults()}) and the request log. Admin calls act directly on the vault's
 * state (no HTTP, no authentication, no faults, not recorded), like an operator using the portal.
 *
 * <p>Versions are changed (enabled, validity, operations) through {@link #keyManager()}, the one
 * path for changing keys; the reads here ({@link #isEnabled}, {@link #publicKey}, {@link
 * #exportPrivateKey}) find versions the same way. A reference to a key or version that does not
 * exist, is soft-deleted, or is in another vault is a {@link KeyNotFoundException}.
 *
 * <p><b>Thread safety:</b> safe for concurrent use, also while the vault serves requests.
 */
public final class LoopbackVault {
  private final LoopbackKeyVault server;
  private final VaultState state;
  private final LoopbackKeyManager keyManager;
  private final LoopbackVaultFaults faults;

  LoopbackVault(LoopbackKeyVault server, VaultState state) {
    this.server = server;
    this.state = state;
    this.keyManager = new LoopbackKeyManager(this, state);
    this.faults = new LoopbackVaultFaults(state.faults);
  }

  /**
   * This vault's keys through cmk-api's {@link KeyManager} vocabulary (create, rotate, enable,
   * validity, operations, import, delete, recover, purge, list), acting directly on the vault's
   * state like the methods below; the way to change a version's state, e.g. {@code
   * vault.keyManager().setEnabled(version, false)}. References to other vaults are not found.
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
    KeyManager.requireKeySize(sizeBits, keyManager.keySizes());
    return reference(keyName, state.keys.addVersion(keyName, kty, state.keys.generateRsa(sizeBits)));
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
    KeyManager.requireRsaKeyPair(keyPair, 2048, 4096);
    return reference(keyName, state.keys.addVersion(keyName, hsm ? "RSA-HSM" : "RSA", keyPair));
  }

  /**
   * Rotates a key: a new enabled version of the same type, size and permitted operations.
   *
   * @param keyName the key
   * @return the new version's reference
   * @throws KeyNotFoundException if there is no such active key
   */
  public KeyReference rotateKey(String keyName) {
    return keyManager.rotateKey(keyManager.keyReference(keyName));
  }

  /**
   * The latest version of an active key.
   *
   * @param keyName the key
   * @return the latest version's reference
   * @throws KeyNotFoundException if there is no such active key
   */
  public KeyReference latestVersion(String keyName) {
    List<KeyReference> all = versions(keyName);
    return all.get(all.size() - 1);
  }

  /**
   * Every version of an active key, oldest first.
   *
   * @param keyName the key
   * @return the versions
   * @throws KeyNotFoundException if there is no such active key
   */
  public List<KeyReference> versions(String keyName) {
    List<KeyReference> out = new ArrayList<>();
    for (String id : keyManager.versionIds(keyManager.keyReference(keyName))) {
      out.add(reference(keyName, id));
    }
    return List.copyOf(out);
  }

  /**
   * Whether a version is enabled (change it with {@code keyManager().setEnabled}).
   *
   * @param version a versioned reference of a key in this vault
   * @return the state
   * @throws KeyNotFoundException if the version does not exist here
   */
  public boolean isEnabled(KeyReference version) {
    return keyManager.onVersion(version, v -> v.enabled);
  }

  /**
   * The public key of a version.
   *
   * @param version a versioned reference of a key in this vault
   * @return the public key
   * @throws KeyNotFoundException if the version does not exist here
   */
  public RSAPublicKey publicKey(KeyReference version) {
    return keyManager.onVersion(version, v -> (RSAPublicKey) v.keyPair.getPublic());
  }

  /**
   * Exports the private key of a version, for interoperability tests (e.g. unwrapping with plain
   * JDK RSA-OAEP). Real Key Vault never releases non-exportable private keys; this is a test aid.
   *
   * @param version a versioned reference of a key in this vault
   * @return the private key
   * @throws KeyNotFoundException if the version does not exist here
   */
  public RSAPrivateCrtKey exportPrivateKey(KeyReference version) {
    return keyManager.onVersion(version, v -> (RSAPrivateCrtKey) v.keyPair.getPrivate());
  }

  /**
   * Deletes a key: soft-deletes it when soft delete is on, removes it otherwise.
   *
   * @param keyName the key
   * @throws KeyNotFoundException if there is no such active key
   */
  public void deleteKey(String keyName) {
    keyManager.deleteKey(keyManager.keyReference(keyName));
  }

  /**
   * Purges a soft-deleted key.
   *
   * @param keyName the key
   * @throws IllegalStateException if purge protection is on, or the key is not deleted
   * @throws KeyNotFoundException if there is no such deleted key
   * @throws UnsupportedOperationException if soft delete is off
   */
  public void purgeDeletedKey(String keyName) {
    keyManager.purgeKey(keyManager.keyReference(keyName));
  }

  /**
   * Recovers a soft-deleted key.
   *
   * @param keyName the key
   * @throws IllegalStateException if the key is not deleted
   * @throws KeyNotFoundException if there is no such deleted key
   * @throws UnsupportedOperationException if soft delete is off
   */
  public void recoverDeletedKey(String keyName) {
    keyManager.recoverKey(keyManager.keyReference(keyName));
  }

  /** Whether the key named {@code keyName} is soft-deleted (and not yet purged). */
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

  /** Marks the subscription protected ({@code +ProtectedSubscription} with purge protection). */
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

  /** Fault injection for this vault's HTTP answers (throttling, errors, latency, a limit). */
  public LoopbackVaultFaults faults() {
    return faults;
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

  private KeyReference reference(String keyName, String version) {
    return KeyReference.parse(vaultUrl() + "/keys/" + state.keys.canonicalName(keyName) + "/" + version);
  }

  @Override
  public String toString() {
    return "LoopbackVault[" + state.host + "]";
  }
}
