/**
 * cmk key provider backed by a local, password-protected PKCS#12 keystore file, for development and
 * on-premises use: {@link dev.cmk.keystore.KeystoreKeyProvider} (provider id {@code keystore})
 * serves {@code local:{name}/{version}} references with versioned software RSA keys, enable/disable,
 * validity windows and soft delete with purge protection.
 *
 * <p>Only {@code dev.cmk.keystore} is exported; {@code dev.cmk.keystore.internal} is not.
 * BouncyCastle is used only to issue the self-signed certificate each PKCS#12 key entry carries.
 */
module dev.cmk.keystore {
  requires static org.jspecify;
  requires transitive dev.cmk.api;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;

  exports dev.cmk.keystore;

  provides dev.cmk.api.spi.KeyEncryptionKeyProviderFactory with
      dev.cmk.keystore.internal.KeystoreKeyProviderFactory;
}
