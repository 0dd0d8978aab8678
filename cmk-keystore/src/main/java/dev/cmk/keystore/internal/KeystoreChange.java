package dev.cmk.keystore.internal;

import dev.cmk.api.KeyOperation;
import dev.cmk.keystore.internal.KeystoreMetadata.KeyEntry;
import dev.cmk.keystore.internal.KeystoreMetadata.VersionEntry;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * A read-modify-write of the keystore file in progress, under the file lock ({@link
 * KeystoreStore#modify}): the key store and metadata read, changed in place and written back
 * atomically when the change returns.
 *
 * <p><b>Thread safety:</b> confined to the thread holding the file lock.
 */
public final class KeystoreChange {
  private final KeyStore keyStore;
  private final char[] password;
  private final Instant now;
  private final SecureRandom random;
  private KeystoreMetadata metadata;

  KeystoreChange(
      KeyStore keyStore, KeystoreMetadata metadata, char[] password, Instant now, SecureRandom random) {
    this.keyStore = keyStore;
    this.metadata = metadata;
    this.password = password;
    this.now = now;
    this.random = random;
  }

  /**
   * The metadata as changed so far.
   *
   * @return the metadata
   */
  public KeystoreMetadata metadata() {
    return metadata;
  }

  /**
   * Replaces (or adds) one key's entry in the metadata.
   *
   * @param key the new entry
   */
  public void put(KeyEntry key) {
    metadata = metadata.withKey(key);
  }

  /**
   * The time of this change (creation and deletion times).
   *
   * @return the store's clock, read once when the change began
   */
  public Instant now() {
    return now;
  }

  KeyStore keyStore() {
    return keyStore;
  }

  /**
   * Stores {@code pair} as a new version of key {@code name}, named {@code {counter}-{random}} so
   * that versions sort by creation; the caller adds it to the key's entry.
   *
   * @param name the key name
   * @param pair the RSA key pair
   * @param operations the operations the version permits
   * @return the version's metadata
   */
  public VersionEntry addVersion(String name, KeyPair pair, Set<KeyOperation> operations) {
    metadata = metadata.withNextCounter();
    String version =
        String.format("%08d", metadata.counter()) + "-" + HexFormat.of().toHexDigits(random.nextInt());
    X509Certificate cert = SelfSignedCertificates.issue(pair, name, version, now, random);
    VersionEntry v =
        new VersionEntry(
            version,
            ((RSAPublicKey) pair.getPublic()).getModulus().bitLength(),
            now,
            true,
            null,
            null,
            operations);
    try {
      keyStore.setEntry(
          v.alias(),
          new KeyStore.PrivateKeyEntry(pair.getPrivate(), new Certificate[] {cert}),
          KeystoreFile.protection(password));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot store the key in the keystore", e);
    }
    return v;
  }

  /**
   * Removes a key with every version from the file (a purge).
   *
   * @param k the key's entry
   */
  public void remove(KeyEntry k) {
    for (VersionEntry v : k.versions()) {
      try {
        keyStore.deleteEntry(v.alias());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK cannot remove a keystore entry", e);
      }
    }
    metadata = metadata.withoutKey(k.name());
  }
}
