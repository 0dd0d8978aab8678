package dev.cmk.softhsm;

/**
 * What {@link Pkcs11KeyProvider} does when the token cannot decrypt RSA-OAEP with SHA-256 natively
 * ({@code CKM_RSA_PKCS_OAEP} with {@code CKM_SHA256} / {@code CKG_MGF1_SHA256}), which the provider
 * finds out once per provider with {@code C_GetMechanismInfo} and a trial decryption. SoftHSM 2.6
 * is such a token: it implements OAEP only with SHA-1 and answers {@code CKR_ARGUMENTS_BAD} to
 * SHA-256.
 *
 * <p>The choice only decides the algorithm of <em>new</em> wraps. Unwrap reads envelopes of either
 * algorithm ({@code RSA-OAEP-256} or {@code RSA-OAEP}) with whatever the token offers: the native
 * mechanism when it works, raw RSA plus software OAEP decoding otherwise.
 */
public enum OaepFallback {

  /**
   * New wraps use RSA-OAEP-256 ({@link dev.cmk.api.WrapAlgorithm#RSA_OAEP_256}); unwrap runs raw
   * RSA ({@code CKM_RSA_X_509}) in the token and decodes the OAEP padding in software, in constant
   * time with one error for every padding failure. The private key never leaves the token; the
   * decoded data key is in application memory either way. The default.
   */
  RAW_RSA_WITH_SOFTWARE_OAEP,

  /**
   * New wraps use RSA-OAEP with SHA-1 and MGF1-SHA-1 ({@link
   * dev.cmk.api.WrapAlgorithm#RSA_OAEP_SHA1}, Key Vault's {@code RSA-OAEP}) and unwrap uses the
   * token's native OAEP. For HSMs whose policy forbids raw RSA. SHA-1 is still considered secure
   * inside OAEP.
   */
  NATIVE_OAEP_SHA1
}
