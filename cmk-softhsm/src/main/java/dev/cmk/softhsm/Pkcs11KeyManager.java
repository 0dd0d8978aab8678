package dev.cmk.softhsm;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.softhsm.internal.KeyObjects;
import dev.cmk.softhsm.internal.KeyObjects.KeyVersion;
import dev.cmk.softhsm.internal.TokenConnection;
import dev.cmk.softhsm.internal.Versions;
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.ServedKeys;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link KeyManager} of a PKCS#11 token: create, rotate, enable and disable, delete keys and
 * versions, list keys and versions, so that nobody has to run {@code softhsm2-util} or {@code
 * pkcs11-tool} by hand. Obtained from {@link Pkcs11KeyProvider#manager()} (or the SPI's {@link
 * Pkcs11KeyProvider#keyManager()}) and sharing the provider's login; changes are visible to the
 * provider at once (its cached state for the key is dropped) and to other processes at their next
 * token access. Capabilities: {@link KeyManager.Capability#DELETE_VERSION} only: a token has no
 * soft delete, no validity window and no import through this API.
 *
 * <p>What the operations do to the token:
 *
 * <ul>
 *   <li>create / rotate: {@code C_GenerateKeyPair} inside the token with {@code CKA_LABEL} = key
 *       name and {@code CKA_ID} = version: {@code v0001-}<i>16 random hex digits</i>, then the next
 *       number with new random digits, so that no id is ever issued twice (not after a version or
 *       the whole key was deleted, nor by two processes rotating at once). The private key is
 *       {@code CKA_TOKEN}, {@code CKA_PRIVATE}, {@code CKA_SENSITIVE}, not {@code CKA_EXTRACTABLE},
 *       may decrypt and unwrap but not sign or derive, and is limited by {@code
 *       CKA_ALLOWED_MECHANISMS} to OAEP and raw RSA (where the token supports that attribute).
 *   <li>{@link #setEnabled}: sets {@code CKA_DECRYPT} and {@code CKA_UNWRAP} of the version's
 *       private key.
 *   <li>delete: {@code C_DestroyObject} of the key pair(s). There is no soft delete on a token:
 *       data wrapped under a deleted version is lost unless the key was backed up in the HSM's own
 *       way.
 * </ul>
 *
 * <p><b>Thread safety:</b> safe for concurrent use; creations and rotations in this process are
 * serialized. Rotations from several processes at once make distinct versions that may share a
 * number (the one with the larger random part is then the latest); run lifecycle changes from one
 * place.
 */
public final class Pkcs11KeyManager implements KeyManager {

  private static final Set<Capability> CAPABILITIES =
      Collections.unmodifiableSet(EnumSet.of(Capability.DELETE_VERSION));

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Pkcs11KeyProvider provider;
  private final TokenConnection connection;
  private final Object generationLock = new Object();

  Pkcs11KeyManager(Pkcs11KeyProvider provider, TokenConnection connection) {
    this.provider = provider;
    this.connection = connection;
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
  }

  /**
   * The versionless reference of key {@code name} on this token: {@code
   * pkcs11:token=<label>;object=<name>}.
   *
   * @param name the {@code CKA_LABEL}: 1&ndash;127 characters without control characters
   * @return the reference
   * @throws IllegalArgumentException if the name is not valid
   */
  @Override
  public KeyReference keyReference(String name) {
    return KeyReference.pkcs11(connection.tokenLabel(), Objects.requireNonNull(name, "name"), null);
  }

  /**
   * Creates a new key: generates its first version ({@code v0001-}<i>random</i>) inside the token.
   *
   * @param name the key name ({@code CKA_LABEL}), 1&ndash;127 characters without control
   *     characters
   * @param sizeBits 2048, 3072 or 4096
   * @return the versioned reference of the first version
   * @throws IllegalArgumentException if the name or size is not valid
   * @throws IllegalStateException if a key object with this name already exists on the token
   * @throws dev.cmk.api.KeyAccessDeniedException if the token refuses (read-only, not permitted)
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public KeyReference createKey(String name, int sizeBits) {
    KeyReference key = keyReference(name);
    KeyManager.requireKeySize(sizeBits, keySizes());
    String version = Versions.first(RANDOM);
    synchronized (generationLock) {
      connection.callReadWrite(
          "create key",
          key,
          s -> {
            if (KeyObjects.exists(s, name)) {
              throw new IllegalStateException(
                  "a key named '"
                      + name
                      + "' already exists on token '"
                      + connection.tokenLabel()
                      + "'; use rotateKey to add a version");
            }
            return KeyObjects.generate(s, name, version, sizeBits);
          });
    }
    provider.forget(key);
    return key.withVersion(version);
  }

  /**
   * Creates a new version of {@code key}, of the same size as its latest version, which becomes
   * the latest.
   *
   * @param key the key (a version in it is ignored)
   * @return the versioned reference of the new version
   * @throws KeyNotFoundException if the key has no version or the provider does not serve it
   * @throws dev.cmk.api.KeyAccessDeniedException if the token refuses, or the latest version is not
   *     an RSA key ({@code OPERATION_NOT_PERMITTED})
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public KeyReference rotateKey(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    KeyReference versionless = keyReference(key.name());
    String version;
    synchronized (generationLock) {
      version =
          connection.callReadWrite(
              "rotate key",
              versionless,
              s -> {
                List<KeyVersion> all =
                    KeyObjects.findAll(s, versionless, connection.generation(), provider.now());
                requireFound(all.size(), versionless);
                List<String> names = new ArrayList<>();
                all.forEach(v -> names.add(v.version()));
                String next = Versions.next(names, RANDOM);
                KeyVersion latest = all.get(all.size() - 1).requireRsa(versionless);
                KeyObjects.generate(s, key.name(), next, latest.sizeBits());
                return next;
              });
    }
    provider.forget(versionless);
    return versionless.withVersion(version);
  }

  /**
   * Enables or disables one version: disabled, unwrap with it fails with {@link
   * dev.cmk.api.KeyAccessDeniedException} {@code KEY_DISABLED} from now on (in every process), wrap
   * as soon as the provider's cached state expires (at once in this provider).
   *
   * @param version a versioned reference
   * @param enabled whether it may be used
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or is not served
   * @throws dev.cmk.api.KeyAccessDeniedException if the token refuses the change
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public void setEnabled(KeyReference version, boolean enabled) {
    checkVersioned(version);
    try {
      connection.callReadWrite(
          enabled ? "enable key" : "disable key",
          version,
          s -> requireFound(KeyObjects.setEnabled(s, version, enabled), version));
    } finally {
      provider.forget(version);
    }
  }

  /**
   * Throws {@link KeyNotFoundException} when a change found no object, inside the session's work,
   * so that the connection first checks that the session is still logged in (a logged-out session
   * finds no private object) and, if not, logs in again and retries.
   */
  private static int requireFound(int count, KeyReference key) {
    if (count == 0) {
      throw Pkcs11KeyProvider.notFound(key);
    }
    return count;
  }

  /**
   * Deletes every version of a key (private and public key objects).
   *
   * @param key the key (a version in it is ignored)
   * @throws KeyNotFoundException if no object of the key exists, or the provider does not serve it
   * @throws dev.cmk.api.KeyAccessDeniedException if the token refuses (e.g. {@code CKA_DESTROYABLE}
   *     false)
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public void deleteKey(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    KeyReference versionless = keyReference(key.name());
    try {
      connection.callReadWrite(
          "delete key",
          versionless,
          s -> requireFound(KeyObjects.destroy(s, key.name(), Optional.empty()), versionless));
    } finally {
      provider.forget(versionless);
    }
  }

  /**
   * Deletes one version (its private and public key objects).
   *
   * @param version a versioned reference
   * @throws IllegalArgumentException if {@code version} is not versioned
   * @throws KeyNotFoundException if the version does not exist or is not served
   * @throws dev.cmk.api.KeyAccessDeniedException if the token refuses
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public void deleteVersion(KeyReference version) {
    checkVersioned(version);
    try {
      connection.callReadWrite(
          "delete key version",
          version,
          s -> requireFound(KeyObjects.destroy(s, version.name(), version.version()), version));
    } finally {
      provider.forget(version);
    }
  }

  /**
   * The keys on the token: one versionless reference per {@code CKA_LABEL} of a private key (of
   * any type: an EC key is listed, and described as such), sorted by name. Labels no reference can
   * name (empty, with control characters) are left out.
   *
   * @return the keys
   * @throws dev.cmk.api.KeyAccessDeniedException if the token refuses
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public List<KeyReference> listKeys() {
    List<String> labels =
        connection.call(
            "list keys",
            null,
            s -> {
              List<String> found = KeyObjects.labels(s);
              if (found.isEmpty()) {
                TokenConnection.requireLogin(s); // a logged-out session finds nothing
              }
              return found;
            });
    List<KeyReference> out = new ArrayList<>(labels.size());
    for (String label : labels) {
      try {
        out.add(keyReference(label));
      } catch (IllegalArgumentException e) {
        // a label no key reference can carry
      }
    }
    return List.copyOf(out);
  }

  /**
   * Describes every version of a key, oldest first (the last is the latest): private keys of any
   * type, so an EC key is listed as {@code EC-HSM}.
   *
   * @param key the key (a version in it is ignored)
   * @return the descriptions, at least one
   * @throws KeyNotFoundException if the key does not exist or the provider does not serve it
   * @throws dev.cmk.api.KeyProviderUnavailableException on transient failures
   */
  @Override
  public List<KeyDescription> listVersions(KeyReference key) {
    ServedKeys.requireServed(provider, key);
    KeyReference versionless = keyReference(key.name());
    List<KeyVersion> all =
        connection.call(
            "list versions",
            versionless,
            s -> {
              List<KeyVersion> found =
                  KeyObjects.findAll(s, versionless, connection.generation(), provider.now());
              requireFound(found.size(), versionless); // checked logged in before it is believed
              return found;
            });
    List<KeyDescription> out = new ArrayList<>(all.size());
    for (KeyVersion v : all) {
      out.add(provider.description(v));
    }
    return List.copyOf(out);
  }

  private void checkVersioned(KeyReference version) {
    KeyReference.requireVersioned(version, "version");
    ServedKeys.requireServed(provider, version);
  }

  @Override
  public String toString() {
    return "Pkcs11KeyManager[token=" + connection.tokenLabel() + "]";
  }
}
