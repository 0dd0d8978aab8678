package dev.cmk.keystore.internal;

import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.keystore.internal.KeystoreMetadata.KeyEntry;
import dev.cmk.keystore.internal.KeystoreMetadata.VersionEntry;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An immutable view of one version of the keystore file: its stamp, metadata, key store and the
 * public key of every version; private keys are decrypted lazily and kept for the life of the
 * snapshot (and carried over to the next snapshot when the version's public key is unchanged).
 *
 * <p><b>Thread safety:</b> safe for concurrent use: the key store is never modified once in a
 * snapshot and {@link KeyStore#getKey} is called under its monitor; the private-key and
 * description caches are concurrent.
 */
public final class KeystoreSnapshot {
  private final KeystoreFile.Stamp stamp;
  private final KeystoreMetadata metadata;
  private final KeyStore keyStore;
  private final Map<String, RSAPublicKey> publicKeys; // by version
  private final Map<String, PrivateKey> privateKeys = new ConcurrentHashMap<>(); // by version
  private final Map<String, KeyDescription> descriptions = new ConcurrentHashMap<>(); // by version

  /**
   * Indexes the public keys of {@code contents}.
   *
   * @param stamp the file version read
   * @param metadata the metadata read
   * @param keyStore the key store read; not modified afterwards
   * @param previous the snapshot this one replaces, whose decrypted private keys are reused for
   *     versions whose public key is unchanged; or {@code null}
   * @throws KeyProviderUnavailableException if a version's entry holds no RSA certificate
   */
  public KeystoreSnapshot(
      KeystoreFile.Stamp stamp,
      KeystoreMetadata metadata,
      KeyStore keyStore,
      @Nullable KeystoreSnapshot previous) {
    this.stamp = stamp;
    this.metadata = metadata;
    this.keyStore = keyStore;
    Map<String, RSAPublicKey> pub = new HashMap<>();
    for (KeyEntry k : metadata.keys().values()) {
      for (VersionEntry v : k.versions()) {
        RSAPublicKey p = publicKeyOf(keyStore, v);
        pub.put(v.version(), p);
        if (previous != null) {
          PrivateKey known = previous.privateKeys.get(v.version());
          if (known != null && p.equals(previous.publicKeys.get(v.version()))) {
            privateKeys.put(v.version(), known);
          }
        }
      }
    }
    this.publicKeys = Map.copyOf(pub);
  }

  /**
   * The file version this snapshot was read from or written as.
   *
   * @return the stamp
   */
  public KeystoreFile.Stamp stamp() {
    return stamp;
  }

  /**
   * The metadata.
   *
   * @return the metadata
   */
  public KeystoreMetadata metadata() {
    return metadata;
  }

  /** The key store; callers must not modify it. */
  KeyStore keyStore() {
    return keyStore;
  }

  /**
   * The public key of a version listed in the metadata.
   *
   * @param v the version
   * @return its public key
   */
  public RSAPublicKey publicKey(VersionEntry v) {
    return publicKeys.get(v.version());
  }

  /**
   * The description of a version, made by {@code describe} once per snapshot: a snapshot never
   * changes, so wrap and unwrap check usability against it without building one per call.
   */
  KeyDescription description(VersionEntry v, Function<VersionEntry, KeyDescription> describe) {
    return descriptions.computeIfAbsent(v.version(), version -> describe.apply(v));
  }

  /** The decrypted private key of a version, if already decrypted. */
  @Nullable PrivateKey cachedPrivateKey(VersionEntry v) {
    return privateKeys.get(v.version());
  }

  /** Remembers a decrypted private key. */
  void cachePrivateKey(VersionEntry v, PrivateKey key) {
    privateKeys.put(v.version(), key);
  }

  private static RSAPublicKey publicKeyOf(KeyStore ks, VersionEntry v) {
    try {
      Certificate c = ks.getCertificate(v.alias());
      if (c == null || !(c.getPublicKey() instanceof RSAPublicKey)) {
        throw new KeyProviderUnavailableException(
            "keystore entry of version " + v.version() + " holds no RSA certificate", null, null);
      }
      return (RSAPublicKey) c.getPublicKey();
    } catch (KeyStoreException e) {
      throw new IllegalStateException("keystore not loaded", e);
    }
  }
}
