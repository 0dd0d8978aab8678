package dev.cmk.softhsm.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_ALWAYS_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_DECRYPT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_DESTROYABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_ID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_KEY_TYPE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_LABEL;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_MODIFIABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_MODULUS;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_NEVER_EXTRACTABLE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_PUBLIC_EXPONENT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_SENSITIVE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_TOKEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_EC;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_RSA;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_OAEP;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_X_509;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_ATTRIBUTE_TYPE_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_TEMPLATE_INCONSISTENT;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.TokenProtection.Property;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * Finds, reads, generates, changes and destroys the token objects behind cmk keys. A key is all
 * private keys whose objects share {@code CKA_LABEL} (the key name); a version is one of them, told
 * apart by {@code CKA_ID} (see {@link Versions}). Only RSA pairs can wrap, but private keys of any
 * type are found and read, so that an EC key under a cmk key's name is described as what it is
 * (and refused by key policies naming the rule) rather than reported missing. Enabled means the
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
   * @param version the version ({@code CKA_ID}, canonical text)
   * @param privateHandle handle of the private key object
   * @param keyType the key type: {@code RSA}/{@code RSA_HSM} for RSA keys, {@code EC}/{@code
   *     EC_HSM}, else {@code OTHER}; the {@code _HSM} types when {@link #hsmProtected}
   * @param publicKey the RSA public key (from the private key's {@code CKA_MODULUS} and {@code
   *     CKA_PUBLIC_EXPONENT}, else from the public key object); {@code null} for other key types
   * @param enabled the private key's {@code CKA_DECRYPT}
   * @param protection what the token attests about the private key
   * @param generation the connection generation the handle belongs to
   * @param readAt when {@code enabled} was read
   */
  public record KeyVersion(
      String name,
      String version,
      long privateHandle,
      KeyType keyType,
      @Nullable RSAPublicKey publicKey,
      boolean enabled,
      TokenProtection protection,
      long generation,
      Instant readAt) {

    /** Whether this is an RSA key pair, the only kind that wraps cmk data keys. */
    public boolean isRsa() {
      return publicKey != null;
    }

    /** The modulus size in bits; 0 for keys that are not RSA. */
    public int sizeBits() {
      return isRsa() ? publicKey.getModulus().bitLength() : 0;
    }

    /** The modulus size in bytes (length of every ciphertext). */
    public int modulusBytes() {
      return RawRsa.modulusBytes(publicKey.getModulus());
    }

    /** The same version with a fresh enabled state. */
    public KeyVersion withEnabled(boolean enabled, Instant readAt) {
      return new KeyVersion(
          name, version, privateHandle, keyType, publicKey, enabled, protection, generation, readAt);
    }

    /**
     * Throws unless this version can wrap and unwrap cmk data keys (an RSA key pair).
     *
     * @throws KeyAccessDeniedException {@code OPERATION_NOT_PERMITTED} for other key types
     */
    public KeyVersion requireRsa(KeyReference reference) {
      if (!isRsa()) {
        throw new KeyAccessDeniedException(
            "the key version is a " + keyType.jwkName() + " key; cmk wraps data keys with RSA keys",
            KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
            reference);
      }
      return this;
    }
  }

  /** Private keys of any type labelled {@code name}. */
  private static AttributeVector privateKeys(String name) {
    return AttributeVector.newPrivateKey().label(name);
  }

  /** Public keys of any type labelled {@code name}. */
  private static AttributeVector publicKeys(String name) {
    return AttributeVector.newPublicKey().label(name);
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
            CKA_KEY_TYPE,
            CKA_DECRYPT,
            CKA_TOKEN,
            CKA_SENSITIVE,
            CKA_EXTRACTABLE,
            CKA_ALWAYS_SENSITIVE,
            CKA_NEVER_EXTRACTABLE,
            CKA_MODIFIABLE,
            CKA_DESTROYABLE);
    Optional<String> version = Versions.fromId(a.id());
    if (version.isEmpty()) {
      return Optional.empty();
    }
    TokenProtection protection = protection(a);
    boolean hsm = hsmProtected(protection);
    boolean enabled = Boolean.TRUE.equals(a.decrypt());
    Long type = a.keyType();
    if (type == null || type != CKK_RSA) {
      KeyType keyType =
          type != null && type == CKK_EC ? (hsm ? KeyType.EC_HSM : KeyType.EC) : KeyType.OTHER;
      return Optional.of(
          new KeyVersion(
              name, version.get(), handle, keyType, null, enabled, protection, generation, now));
    }
    AttributeVector rsa = session.getAttrValues(handle, CKA_MODULUS, CKA_PUBLIC_EXPONENT);
    BigInteger modulus = rsa.modulus();
    BigInteger exponent = rsa.publicExponent();
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
            hsm ? KeyType.RSA_HSM : KeyType.RSA,
            publicKey(modulus, exponent),
            enabled,
            protection,
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
   * What the token attests about a private key, from its {@code CKA_TOKEN}, {@code
   * CKA_SENSITIVE}, {@code CKA_ALWAYS_SENSITIVE}, {@code CKA_EXTRACTABLE}, {@code
   * CKA_NEVER_EXTRACTABLE}, {@code CKA_MODIFIABLE} and {@code CKA_DESTROYABLE}; an attribute the
   * token does not report (read as {@code null}) is {@linkplain TokenProtection#unreported()
   * unreported}.
   */
  static TokenProtection protection(AttributeVector privateKey) {
    Set<Property> attested = EnumSet.noneOf(Property.class);
    Set<Property> unreported = EnumSet.noneOf(Property.class);
    classify(Property.PERSISTENT, privateKey.token(), attested, unreported);
    classify(Property.SENSITIVE, privateKey.sensitive(), attested, unreported);
    classify(Property.ALWAYS_SENSITIVE, privateKey.alwaysSensitive(), attested, unreported);
    classify(Property.NOT_EXTRACTABLE, privateKey.extractable(), attested, unreported);
    classify(Property.NEVER_EXTRACTABLE, privateKey.neverExtractable(), attested, unreported);
    classify(Property.NOT_MODIFIABLE, privateKey.modifiable(), attested, unreported);
    classify(Property.NOT_DESTROYABLE, privateKey.destroyable(), attested, unreported);
    return new TokenProtection(attested, unreported);
  }

  private static void classify(
      Property property, Boolean value, Set<Property> attested, Set<Property> unreported) {
    if (value == null) {
      unreported.add(property);
    } else if (value == property.value()) {
      attested.add(property);
    }
  }

  /**
   * Whether a private key counts as HSM-protected (key type {@code RSA-HSM}, {@code EC-HSM}):
   * {@code CKA_SENSITIVE} true and {@code CKA_EXTRACTABLE} false now, and {@code
   * CKA_ALWAYS_SENSITIVE} and {@code CKA_NEVER_EXTRACTABLE} not false (a token that does not report
   * them is not held to them). Keys generated in the token qualify; a key imported in plaintext
   * ({@code C_CreateObject}, {@code C_UnwrapKey}, {@code softhsm2-util --import}) has {@code
   * CKA_ALWAYS_SENSITIVE} and {@code CKA_NEVER_EXTRACTABLE} false, because its material was outside
   * the token, and does not.
   */
  static boolean hsmProtected(TokenProtection p) {
    return p.attests(Property.SENSITIVE)
        && p.attests(Property.NOT_EXTRACTABLE)
        && p.holdsWhereReported(Property.ALWAYS_SENSITIVE)
        && p.holdsWhereReported(Property.NEVER_EXTRACTABLE);
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

  /** The distinct {@code CKA_LABEL}s of the token's private keys, sorted; unlabelled keys left out. */
  public static List<String> labels(Session session) throws PKCS11Exception {
    TreeSet<String> labels = new TreeSet<>();
    for (long handle : session.findAllObjectsSingle(AttributeVector.newPrivateKey())) {
      String label = session.getAttrValues(handle, CKA_LABEL).label();
      if (label != null && !label.isEmpty()) {
        labels.add(label);
      }
    }
    return List.copyOf(labels);
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
      // The key is generated again without CKA_ALLOWED_MECHANISMS.
      LoggerFactory.getLogger(KeyObjects.class)
          .atWarn()
          .setMessage("cmk.pkcs11.allowed-mechanisms-refused")
          .addKeyValue("key", name)
          .addKeyValue("error", Pkcs11Errors.name(e.getErrorCode()))
          .log();
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
