package dev.cmk.testkit;

import dev.cmk.api.DeletedKey;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.spi.KeyManager;
import java.security.KeyPair;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@link KeyManager} of an {@link InMemoryKeyProvider}: the provider's lifecycle methods in
 * cmk-api's vocabulary, on the same keys. Capabilities: validity, operations, import, and soft
 * delete when the provider's vault protection has it (never delete of a single version).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, as the provider.
 */
final class InMemoryKeyManager implements KeyManager {
  private final InMemoryKeyStore store;
  private final Set<Capability> capabilities;

  InMemoryKeyManager(InMemoryKeyStore store) {
    this.store = store;
    EnumSet<Capability> c =
        EnumSet.of(Capability.VALIDITY, Capability.OPERATIONS, Capability.IMPORT);
    if (store.vaultProtection().softDeleteEnabled()) {
      c.add(Capability.SOFT_DELETE);
    }
    this.capabilities = Set.copyOf(c);
  }

  @Override
  public Set<Capability> capabilities() {
    return capabilities;
  }

  @Override
  public List<Integer> keySizes() {
    return InMemoryKeyStore.RSA_SIZES_OFFERED;
  }

  @Override
  public KeyReference keyReference(String name) {
    return KeyReference.local(Objects.requireNonNull(name, "name"), null);
  }

  @Override
  public KeyReference createKey(String name, int sizeBits) {
    return store.createKey(name, KeyType.RSA, sizeBits);
  }

  @Override
  public KeyReference rotateKey(KeyReference key) {
    return store.rotate(key);
  }

  @Override
  public void setEnabled(KeyReference version, boolean enabled) {
    store.setEnabled(version, enabled);
  }

  @Override
  public void setNotBefore(KeyReference version, Instant notBefore) {
    store.setNotBefore(version, notBefore);
  }

  @Override
  public void setExpiry(KeyReference version, Instant expiresOn) {
    store.setExpiry(version, expiresOn);
  }

  @Override
  public void setOperations(KeyReference version, Set<KeyOperation> operations) {
    store.setOperations(version, operations);
  }

  @Override
  public KeyReference importKey(String name, KeyPair keyPair) {
    return store.importKey(name, keyPair); // checks the pair (KeyManager.requireRsaKeyPair)
  }

  @Override
  public void deleteKey(KeyReference key) {
    store.delete(key);
  }

  @Override
  public void recoverKey(KeyReference key) {
    requireSoftDelete();
    store.recover(key);
  }

  @Override
  public void purgeKey(KeyReference key) {
    requireSoftDelete();
    store.purge(key);
  }

  @Override
  public List<KeyReference> listKeys() {
    return store.listKeys();
  }

  @Override
  public List<KeyDescription> listVersions(KeyReference key) {
    return store.listVersions(key);
  }

  @Override
  public List<DeletedKey> listDeletedKeys() {
    return store.listDeletedKeys();
  }

  @Override
  public String toString() {
    return "InMemoryKeyManager" + capabilities;
  }

  private void requireSoftDelete() {
    if (!capabilities.contains(Capability.SOFT_DELETE)) {
      throw KeyManager.unsupported(Capability.SOFT_DELETE);
    }
  }
}
