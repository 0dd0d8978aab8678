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
import org.jspecify.annotations.Nullable;

/**
 * The {@link KeyManager} of an {@link InMemoryKeyProvider} ({@link InMemoryKeyProvider#manager()}):
 * the one way to change its keys, in cmk-api's vocabulary, plus keys of other types for key-policy
 * tests. Capabilities: validity, operations, import, and soft delete when the provider's vault
 * protection has it (never delete of a single version).
 *
 * <p><b>Thread safety:</b> safe for concurrent use, as the provider.
 */
public final class InMemoryKeyManager implements KeyManager {
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

  /**
   * Creates a key of any type a key policy may meet, with one version. RSA types ({@code RSA},
   * {@code RSA_HSM}, both software keys here) take 1024, 2048, 3072 or 4096 bits and permit
   * encrypt, decrypt, sign, verify, wrapKey and unwrapKey; EC types ({@code EC}, {@code EC_HSM})
   * take 256, 384 or 521 (the P-curves), permit sign and verify and are described with size 0.
   *
   * @param name the key name, 1&ndash;127 of {@code [0-9a-zA-Z-]}
   * @param type the key type: {@code RSA}, {@code RSA_HSM}, {@code EC} or {@code EC_HSM}
   * @param sizeBits the modulus size or curve size
   * @return the versioned reference of the first version
   * @throws NullPointerException if {@code name} or {@code type} is null
   * @throws IllegalArgumentException if the name, type or size is not valid
   * @throws IllegalStateException if a key of that name exists (also when it is soft-deleted)
   */
  public KeyReference createKey(String name, KeyType type, int sizeBits) {
    return store.createKey(name, type, sizeBits);
  }

  /**
   * Creates a new version of a key with another type or size (as a customer might rotate to a key
   * a policy does not accept); it becomes the latest version, enabled, with the default operations
   * of its type (see {@link #createKey(String, KeyType, int)}).
   *
   * @param key the key (a version in it is ignored)
   * @param type the new version's type
   * @param sizeBits the new version's size
   * @return the versioned reference of the new version
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the type or size is not valid
   * @throws dev.cmk.api.KeyNotFoundException if the key does not exist or is deleted
   */
  public KeyReference rotateKey(KeyReference key, KeyType type, int sizeBits) {
    return store.rotate(key, type, sizeBits);
  }

  @Override
  public void setEnabled(KeyReference version, boolean enabled) {
    store.setEnabled(version, enabled);
  }

  @Override
  public void setNotBefore(KeyReference version, @Nullable Instant notBefore) {
    store.setNotBefore(version, notBefore);
  }

  @Override
  public void setExpiry(KeyReference version, @Nullable Instant expiresOn) {
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
