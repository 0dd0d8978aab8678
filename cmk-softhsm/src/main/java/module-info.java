/**
 * cmk key provider for PKCS#11 tokens and HSMs: {@link dev.cmk.softhsm.Pkcs11KeyProvider} (provider
 * id {@code pkcs11}) wraps and unwraps data keys with RSA key pairs generated inside the token,
 * {@link dev.cmk.softhsm.Pkcs11KeyManager} creates, rotates, disables, enables and deletes them.
 * Tested on SoftHSM2; works with any PKCS#11 library (Thales Luna, Entrust nShield, YubiHSM, AWS
 * CloudHSM) by pointing at it.
 *
 * <p>Only {@code dev.cmk.softhsm} is exported; {@code dev.cmk.softhsm.internal} is not. The PKCS#11
 * binding is {@code org.xipki:ipkcs11wrapper} (an automatic module, never part of the API). Logs go
 * through SLF4J 2 as events whose message is a stable name ({@code cmk.pkcs11.pin-refused}, ...)
 * with key-value pairs.
 */
module dev.cmk.softhsm {
  requires static org.jspecify;
  requires transitive dev.cmk.api;
  requires ipkcs11wrapper;
  requires org.slf4j;

  exports dev.cmk.softhsm;

  provides dev.cmk.api.spi.KeyEncryptionKeyProviderFactory with
      dev.cmk.softhsm.internal.Pkcs11KeyProviderFactory;
}
