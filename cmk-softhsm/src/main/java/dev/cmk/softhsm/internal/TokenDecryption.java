package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKF_DECRYPT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKG_MGF1_SHA1;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKG_MGF1_SHA256;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_OAEP;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_X_509;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_SHA256;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_SHA_1;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_FUNCTION_FAILED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_GENERAL_ERROR;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKZ_DATA_SPECIFIED;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.spi.RsaOaep;
import dev.cmk.softhsm.internal.KeyObjects.KeyVersion;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.MechanismInfo;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.params.RSA_PKCS_OAEP_PARAMS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the token decrypts wrapped data keys: with its own RSA-OAEP ({@code CKM_RSA_PKCS_OAEP}) when
 * a probe shows that it decrypts the algorithm natively, else with raw RSA ({@code CKM_RSA_X_509})
 * and OAEP decoding in software ({@link RawRsa}). A key whose {@code CKA_ALLOWED_MECHANISMS} permit
 * only one of the two is decrypted with that one, remembered per key version.
 *
 * <p>The probe ({@link #nativeOaep}) remembers only definite answers about the <em>token</em>; a
 * refusal that concerns the key it ran with answers "no" for that call only, so that a key named
 * by a forged envelope cannot change how every other key is decrypted, nor which algorithm new
 * wraps use.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; the maps are concurrent.
 */
public final class TokenDecryption {
  private static final Logger LOG = LoggerFactory.getLogger(TokenDecryption.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final TokenConnection connection;
  private final Map<WrapAlgorithm, Boolean> nativeOaep = new ConcurrentHashMap<>();
  /** Versions that refuse the token-wide path: true = native OAEP, false = raw RSA. */
  private final Map<String, Boolean> keyPaths = new ConcurrentHashMap<>();

  /**
   * @param connection the token's sessions, for {@code C_GetMechanismInfo}
   */
  public TokenDecryption(TokenConnection connection) {
    this.connection = connection;
  }

  /** Whether the token decrypts {@code algorithm} natively, once probed. */
  public Optional<Boolean> nativeOaepSupport(WrapAlgorithm algorithm) {
    return Optional.ofNullable(nativeOaep.get(algorithm));
  }

  /** Forgets the decryption path pinned for one version ({@code key} = the provider's cache key). */
  public void forget(String key) {
    keyPaths.remove(key);
  }

  /** Forgets every pinned decryption path whose cache key starts with {@code prefix}. */
  public void forgetPrefix(String prefix) {
    keyPaths.keySet().removeIf(k -> k.startsWith(prefix));
  }

  /** Forgets everything (at close). */
  public void clear() {
    keyPaths.clear();
  }

  /**
   * Decrypts with the token's OAEP or with raw RSA, as {@link #nativeOaep} says for the token, or
   * as this key version was found to need: a key whose {@code CKA_ALLOWED_MECHANISMS} refuse the
   * chosen mechanism ({@code CKR_MECHANISM_INVALID}) is tried once with the other one, and if that
   * works, the key is always decrypted that way. If neither works, the first refusal is thrown
   * (classified {@code OPERATION_NOT_PERMITTED}).
   *
   * @param key the provider's cache key of {@code v}
   * @throws InvalidCiphertextException for an OAEP padding failure or an empty data key
   */
  public byte[] decrypt(
      Session s, String key, KeyVersion v, WrapAlgorithm algorithm, byte[] ciphertext)
      throws PKCS11Exception {
    Boolean pinned = keyPaths.get(key);
    boolean nativeFirst = pinned != null ? pinned : nativeOaep(s, algorithm, v);
    try {
      return decrypt(s, v, algorithm, ciphertext, nativeFirst);
    } catch (PKCS11Exception e) {
      if (pinned != null || e.getErrorCode() != CKR_MECHANISM_INVALID) {
        throw e;
      }
      byte[] out;
      try {
        out = decrypt(s, v, algorithm, ciphertext, !nativeFirst);
      } catch (PKCS11Exception other) {
        throw e;
      }
      keyPaths.put(key, !nativeFirst);
      return out;
    }
  }

  private byte[] decrypt(
      Session s, KeyVersion v, WrapAlgorithm algorithm, byte[] ciphertext, boolean nativeOaep)
      throws PKCS11Exception {
    byte[] out;
    if (nativeOaep) {
      s.decryptInit(nativeMechanism(algorithm), v.privateHandle());
      try {
        out = s.decrypt(ciphertext);
      } catch (PKCS11Exception e) {
        long code = e.getErrorCode();
        // SoftHSM reports an OAEP padding failure as CKR_GENERAL_ERROR.
        if (Pkcs11Errors.isCiphertextRejected(code)
            || code == CKR_GENERAL_ERROR
            || code == CKR_FUNCTION_FAILED) {
          throw new InvalidCiphertextException();
        }
        throw e;
      }
    } else {
      s.decryptInit(new Mechanism(CKM_RSA_X_509), v.privateHandle());
      // The input passed checkCiphertext, so a failure here is not about the ciphertext.
      out = RawRsa.decodeRaw(s.decrypt(ciphertext), v.modulusBytes(), algorithm);
    }
    if (out.length == 0) {
      throw new InvalidCiphertextException();
    }
    return out;
  }

  /**
   * Whether the token decrypts {@code algorithm} natively, probing until a definite answer is
   * known: {@code C_GetMechanismInfo(CKM_RSA_PKCS_OAEP)} must allow decryption, and a trial
   * decryption of a random value encrypted in software under {@code v} must return it. Only
   * definite answers about the token are remembered ({@link Pkcs11Errors#isProbeAnswerDefinite}).
   * A refusal that concerns the key rather than the token ({@code CKR_MECHANISM_INVALID} for a
   * mechanism the token lists, i.e. the key's {@code CKA_ALLOWED_MECHANISMS}; {@link
   * Pkcs11Errors#isKeySpecific key type, size or function}) answers "no" for this call only. Any
   * other failure is thrown (and classified by the connection), and the next call probes again.
   */
  public boolean nativeOaep(Session s, WrapAlgorithm algorithm, KeyVersion v)
      throws PKCS11Exception {
    Boolean known = nativeOaep.get(algorithm);
    if (known != null) {
      return known;
    }
    Optional<Boolean> answer = probe(s, algorithm, v);
    if (answer.isEmpty()) {
      return false;
    }
    boolean supported = answer.get();
    if (nativeOaep.putIfAbsent(algorithm, supported) == null) {
      // native=false: unwrap uses raw RSA (CKM_RSA_X_509) and decodes OAEP in software.
      LOG.atInfo()
          .setMessage("cmk.pkcs11.oaep-support")
          .addKeyValue("token", connection.tokenLabel())
          .addKeyValue("algorithm", algorithm.jwaName())
          .addKeyValue("native", supported)
          .log();
    }
    return supported;
  }

  /** The probe's answer about the token; empty when the refusal concerned only key {@code v}. */
  private Optional<Boolean> probe(Session s, WrapAlgorithm algorithm, KeyVersion v)
      throws PKCS11Exception {
    Optional<MechanismInfo> info = connection.mechanismInfo(CKM_RSA_PKCS_OAEP);
    if (info.isEmpty() || !info.get().hasFlagBit(CKF_DECRYPT)) {
      return Optional.of(false);
    }
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    SecretBytes trial = SecretBytes.copyOf(secret);
    byte[] ciphertext;
    try {
      ciphertext = RsaOaep.wrap(v.publicKey(), algorithm, trial);
    } finally {
      trial.destroy();
    }
    try {
      s.decryptInit(nativeMechanism(algorithm), v.privateHandle());
    } catch (PKCS11Exception e) {
      Arrays.fill(secret, (byte) 0);
      if (e.getErrorCode() == CKR_MECHANISM_INVALID) {
        return Optional.empty(); // the token lists the mechanism: this key does not permit it
      }
      return probeRefused(e);
    }
    byte[] out = null;
    try {
      out = s.decrypt(ciphertext);
      return Optional.of(MessageDigest.isEqual(out, secret));
    } catch (PKCS11Exception e) {
      // CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED, device errors: no answer; classified, probed again.
      return probeRefused(e);
    } finally {
      Arrays.fill(secret, (byte) 0);
      if (out != null) {
        Arrays.fill(out, (byte) 0);
      }
    }
  }

  private static Optional<Boolean> probeRefused(PKCS11Exception e) throws PKCS11Exception {
    long code = e.getErrorCode();
    if (Pkcs11Errors.isKeySpecific(code)) {
      return Optional.empty();
    }
    if (Pkcs11Errors.isProbeAnswerDefinite(code)) {
      return Optional.of(false);
    }
    throw e;
  }

  private static Mechanism nativeMechanism(WrapAlgorithm algorithm) {
    switch (algorithm) {
      case RSA_OAEP_256:
        return new Mechanism(
            CKM_RSA_PKCS_OAEP,
            new RSA_PKCS_OAEP_PARAMS(CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, null));
      case RSA_OAEP_SHA1:
        return new Mechanism(
            CKM_RSA_PKCS_OAEP,
            new RSA_PKCS_OAEP_PARAMS(CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, null));
      default:
        throw new IllegalArgumentException("unsupported wrap algorithm " + algorithm);
    }
  }
}
