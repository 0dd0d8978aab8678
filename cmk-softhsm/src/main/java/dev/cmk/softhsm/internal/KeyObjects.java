package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_ALWAYS_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_DECRYPT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_ID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_MODULUS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_NEVER_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_PUBLIC_EXPONENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_OAEP;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_X_509;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ATTRIBUTE_TYPE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_TEMPLATE_INCONSISTENT;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyReference;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/**
 * Finds, reads, generates, changes and destroys the token objects behind cmk keys. A key is all RSA
 * key pairs whose objects share {@code CKA_LABEL} (the key name); a version is one pair, told apart
 * by {@code CKA_ID} (the ASCII bytes of the version string, see {@link Versions}). Enabled means the
 * private key's {@code CKA_DECRYPT} is true.
 *
 * <p><b>Thread safety:</b> stateless; each call uses the caller's session only.
 */
public final class KeyObjects {
  private KeyObjects() {}

  /** Public exponent of generated keys. */
  private static final BigInteger F4 = BigInteger.valueOf(65537);

  /**
   * One version as last read from the token.
   *
   * @param name the key name ({@code CKA_LABEL})
   * @param version the version ({@code CKA_ID})
   * @param privateHandle handle of the private key object
   * @param publicKey the public key (from the private key's {@code CKA_MODULUS} and {@code
   *     CKA_PUBLIC_EXPONENT}, else from the public key object)
   * @param enabled the private key's {@code CKA_DECRYPT}
   * @param hsmProtected whether the private key never was and cannot become readable outside the
   *     token (see {@link #hsmProtected(AttributeVector)})
   * @param generation the connection generation the handle belongs to
   * @param readAt when {@code enabled} was read
   */
  public record KeyVersion(
      String name,
      String version,
      long privateHandle,
      RSAPublicKey publicKey,
      boolean enabled,
      boolean hsmProtected,
      long generation,
      Instant readAt) {

    /** The modulus size in bits. */
    public int sizeBits() {
      return publicKey.getModulus().bitLength();
    }

    /** The modulus size in bytes (length of every ciphertext). */
    public int modulusBytes() {
      return RsaOaep.modulusBytes(publicKey.getModulus());
    }

    /** The same version with a fresh enabled state. */
    public KeyVersion withEnabled(boolean enabled, Instant readAt) {
      return new KeyVersion(
          name, version, privateHandle, publicKey, enabled, hsmProtected, generation, readAt);
    }
  }

  private static AttributeVector privateKeys(String name) {
    return AttributeVector.newRSAPrivateKey().label(name);
  }

  private static AttributeVector publicKeys(String name) {
    return AttributeVector.newRSAPublicKey().label(name);
  }

  /**
   * Every readable version of key {@code name}, oldest first.
   *
   * @throws KeyAccessDeniedException if two private keys share one version
   */
  public static List<KeyVersion> findAll(
      Session session, KeyReference key, long generation, Instant now) throws PKCS11Exception {
    List<KeyVersion> versions = new ArrayList<>();
    for (long handle : session.findAllObjectsSingle(privateKeys(key.name()))) {
      read(session, key.name(), handle, generation, now).ifPresent(versions::add);
    }
    versions.sort((a, b) -> Versions.OLDEST_FIRST.compare(a.version(), b.version()));
    for (int i = 1; i < versions.size(); i++) {
      if (versions.get(i).version().equals(versions.get(i - 1).version())) {
        throw ambiguous(key.withVersion(versions.get(i).version()));
      }
    }
    return versions;
  }

  /**
   * As {@link #find}, but looks again (twice, 25 ms apart) before reporting a version missing:
   * SoftHSM rewrites an object's file when another process changes its attributes (e.g. disables
   * the key), and a lookup at that instant finds nothing. A key that is really gone is still
   * reported missing, 50 ms later.
   */
  public static Optional<KeyVersion> findSettled(
      Session session, KeyReference version, long generation, Instant now)
      throws PKCS11Exception {
    for (int attempt = 0; ; attempt++) {
      Optional<KeyVersion> v = find(session, version, generation, now);
      if (v.isPresent() || attempt >= 2) {
        return v;
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return v;
      }
    }
  }

  /**
   * One version of key {@code name}.
   *
   * @throws KeyAccessDeniedException if two private keys share the version
   */
  public static Optional<KeyVersion> find(
      Session session, KeyReference version, long generation, Instant now)
      throws PKCS11Exception {
    String v = version.version().orElseThrow();
    if (!Versions.isValid(v)) {
      return Optional.empty(); // no CKA_ID written by this module can hold it
    }
    long[] handles =
        session.findAllObjectsSingle(privateKeys(version.name()).id(Versions.toId(v)));
    if (handles.length > 1) {
      throw ambiguous(version);
    }
    if (handles.length == 0) {
      return Optional.empty();
    }
    return read(session, version.name(), handles[0], generation, now);
  }

  private static KeyAccessDeniedException ambiguous(KeyReference version) {
    return new KeyAccessDeniedException(
        "more than one private key object has this CKA_LABEL and CKA_ID; remove the duplicates",
        KeyAccessDeniedException.Reason.UNSPECIFIED,
        version);
  }

  private static Optional<KeyVersion> read(
      Session session, String name, long handle, long generation, Instant now)
      throws PKCS11Exception {
    AttributeVector a =
        session.getAttrValues(
            handle,
            CKA_ID,
            CKA_MODULUS,
            CKA_PUBLIC_EXPONENT,
            CKA_DECRYPT,
            CKA_SENSITIVE,
            CKA_EXTRACTABLE,
            CKA_ALWAYS_SENSITIVE,
            CKA_NEVER_EXTRACTABLE);
    Optional<String> version = Versions.fromId(a.id());
    if (version.isEmpty()) {
      return Optional.empty();
    }
    BigInteger modulus = a.modulus();
    BigInteger exponent = a.publicExponent();
    if (modulus == null || exponent == null) {
      long[] pub =
          session.findObjectsSingle(publicKeys(name).id(Versions.toId(version.get())), 1);
      if (pub.length == 0) {
        return Optional.empty();
      }
      AttributeVector p = session.getAttrValues(pub[0], CKA_MODULUS, CKA_PUBLIC_EXPONENT);
      modulus = p.modulus();
      exponent = p.publicExponent();
      if (modulus == null || exponent == null) {
        return Optional.empty();
      }
    }
    return Optional.of(
        new KeyVersion(
            name,
            version.get(),
            handle,
            publicKey(modulus, exponent),
            Boolean.TRUE.equals(a.decrypt()),
            hsmProtected(a),
            generation,
            now));
  }

  /**
   * Whether the token holds any object (of any class and type: a public key, a secret key, an EC
   * key, &hellip;) with the reference's name as {@code CKA_LABEL} and its version as {@code
   * CKA_ID}. Tells "no such key" from "objects that cannot unwrap" once no RSA private key was
   * found.
   */
  public static boolean anyObject(Session session, KeyReference version) throws PKCS11Exception {
    String v = version.version().orElseThrow();
    if (!Versions.isValid(v)) {
      return false;
    }
    AttributeVector template = new AttributeVector().label(version.name()).id(Versions.toId(v));
    return session.findObjectsSingle(template, 1).length > 0;
  }

  /**
   * Whether a private key counts as HSM-protected: {@code CKA_SENSITIVE} true and {@code
   * CKA_EXTRACTABLE} false now, and {@code CKA_ALWAYS_SENSITIVE} and {@code CKA_NEVER_EXTRACTABLE}
   * not false (a token that does not report them is not held to them). Keys generated by this
   * module qualify; a key imported in plaintext ({@code C_CreateObject}, {@code C_UnwrapKey}) has
   * {@code CKA_ALWAYS_SENSITIVE} and {@code CKA_NEVER_EXTRACTABLE} false, because its material was
   * outside the token, and does not.
   */
  static boolean hsmProtected(AttributeVector privateKey) {
    return Boolean.TRUE.equals(privateKey.sensitive())
        && Boolean.FALSE.equals(privateKey.extractable())
        && !Boolean.FALSE.equals(privateKey.alwaysSensitive())
        && !Boolean.FALSE.equals(privateKey.neverExtractable());
  }

  private static RSAPublicKey publicKey(BigInteger modulus, BigInteger exponent) {
    try {
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(modulus, exponent));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot build an RSA public key", e);
    }
  }

  /** The private key's current {@code CKA_DECRYPT}. */
  public static boolean readEnabled(Session session, long privateHandle) throws PKCS11Exception {
    return Boolean.TRUE.equals(session.getAttrValues(privateHandle, CKA_DECRYPT).decrypt());
  }

  /** Whether any key object (public or private) carries label {@code name}. */
  public static boolean exists(Session session, String name) throws PKCS11Exception {
    return session.findObjectsSingle(privateKeys(name), 1).length > 0
        || session.findObjectsSingle(publicKeys(name), 1).length > 0;
  }

  /**
   * Generates a key pair inside the token: private key {@code CKA_TOKEN}, {@code CKA_PRIVATE},
   * {@code CKA_SENSITIVE}, not {@code CKA_EXTRACTABLE}, {@code CKA_DECRYPT} and {@code CKA_UNWRAP}
   * only (no signing, no derivation), restricted by {@code CKA_ALLOWED_MECHANISMS} to OAEP and raw
   * RSA (so no PKCS#1 v1.5 decryption oracle); public key {@code CKA_ENCRYPT} and {@code
   * CKA_WRAP}, not private. A token that does not know {@code CKA_ALLOWED_MECHANISMS} gets the pair
   * without it.
   *
   * @return the private key's handle
   */
  public static long generate(Session session, String name, String version, int sizeBits)
      throws PKCS11Exception {
    try {
      return generate(session, name, version, sizeBits, true);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != CKR_ATTRIBUTE_TYPE_INVALID
          && e.getErrorCode() != CKR_TEMPLATE_INCONSISTENT) {
        throw e;
      }
      System.getLogger(KeyObjects.class.getName())
          .log(
              System.Logger.Level.WARNING,
              "the token refused CKA_ALLOWED_MECHANISMS ({0}); generating key {1} without it",
              Pkcs11Errors.name(e.getErrorCode()),
              name);
      return generate(session, name, version, sizeBits, false);
    }
  }

  private static long generate(
      Session session, String name, String version, int sizeBits, boolean restrictMechanisms)
      throws PKCS11Exception {
    byte[] id = Versions.toId(version);
    AttributeVector priv =
        AttributeVector.newRSAPrivateKey()
            .token(true)
            .private_(true)
            .sensitive(true)
            .extractable(false)
            .modifiable(true)
            .label(name)
            .id(id)
            .decrypt(true)
            .unwrap(true)
            .sign(false)
            .signRecover(false)
            .derive(false);
    if (restrictMechanisms) {
      priv.allowedMechanisms(new long[] {CKM_RSA_PKCS_OAEP, CKM_RSA_X_509});
    }
    AttributeVector pub =
        AttributeVector.newRSAPublicKey()
            .token(true)
            .private_(false)
            .modifiable(true)
            .label(name)
            .id(id)
            .encrypt(true)
            .wrap(true)
            .verify(false)
            .verifyRecover(false)
            .derive(false)
            .modulusBits(sizeBits)
            .publicExponent(F4);
    return session
        .generateKeyPair(new Mechanism(CKM_RSA_PKCS_KEY_PAIR_GEN), new KeyPairTemplate(priv, pub))
        .getPrivateKey();
  }

  /** Sets {@code CKA_DECRYPT} and {@code CKA_UNWRAP} of the version's private key(s). */
  public static int setEnabled(Session session, KeyReference version, boolean enabled)
      throws PKCS11Exception {
    long[] handles =
        session.findAllObjectsSingle(
            privateKeys(version.name()).id(Versions.toId(version.version().orElseThrow())));
    for (long handle : handles) {
      session.setAttributeValues(handle, new AttributeVector().decrypt(enabled).unwrap(enabled));
    }
    return handles.length;
  }

  /**
   * Destroys the objects of one version ({@code version} present) or of every version.
   *
   * @return how many objects were destroyed
   */
  public static int destroy(Session session, String name, Optional<String> version)
      throws PKCS11Exception {
    int destroyed = 0;
    for (AttributeVector template : List.of(privateKeys(name), publicKeys(name))) {
      version.ifPresent(v -> template.id(Versions.toId(v)));
      for (long handle : session.findAllObjectsSingle(template)) {
        session.destroyObject(handle);
        destroyed++;
      }
    }
    return destroyed;
  }
}
