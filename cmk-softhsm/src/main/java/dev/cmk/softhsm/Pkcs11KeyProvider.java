package dev.cmk.softhsm;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKF_DECRYPT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKG_MGF1_SHA1;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKG_MGF1_SHA256;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_PKCS_OAEP;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_RSA_X_509;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_SHA256;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_SHA_1;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_FUNCTION_FAILED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_GENERAL_ERROR;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_FUNCTION_NOT_PERMITTED;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_MECHANISM_INVALID;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKZ_DATA_SPECIFIED;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.VaultProtection;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.softhsm.internal.KeyObjects;
import dev.cmk.softhsm.internal.KeyObjects.KeyVersion;
import dev.cmk.softhsm.internal.Pkcs11Errors;
import dev.cmk.softhsm.internal.References;
import dev.cmk.softhsm.internal.RsaOaep;
import dev.cmk.softhsm.internal.TokenConnection;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.MechanismInfo;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.params.RSA_PKCS_OAEP_PARAMS;

/**
 * A {@link KeyEncryptionKeyProvider} (id {@value #ID}) for RSA key pairs in a PKCS#11 token: SoftHSM2
 * in tests, any HSM with a PKCS#11 library in production.
 *
 * <p>Keys are named by RFC 7512 references, {@code pkcs11:token=cmk;object=patient-data;id=v0002}:
 * {@code token} is the token label, {@code object} the key name (the objects' {@code CKA_LABEL}),
 * {@code id} the version (the objects' {@code CKA_ID}, ASCII). Each version is its own key pair;
 * versions made by {@link Pkcs11KeyManager} are {@code v0001-}<i>16 random hex digits</i>, {@code
 * v0002-}&hellip;, and the highest number is the latest; the random part means that the id of a
 * deleted version is never issued again. A version is enabled while its private key's {@code
 * CKA_DECRYPT} is true. Keys are reported as {@link KeyType#RSA_HSM} only when the private key is
 * {@code CKA_SENSITIVE}, not {@code CKA_EXTRACTABLE}, and (where the token reports them) {@code
 * CKA_ALWAYS_SENSITIVE} and {@code CKA_NEVER_EXTRACTABLE}, i.e. generated in the token and never
 * exportable; any other pair (imported, or ever extractable) is reported as {@link KeyType#RSA},
 * which key policies that require an HSM refuse.
 *
 * <p><b>Wrap and unwrap.</b> Wrap encrypts the data key with RSA-OAEP in software under the public
 * key read from the token (a public-key operation; nothing secret leaves the token). It refuses a
 * version it knows to be disabled, re-reading the enabled state when the cached state is older
 * than {@link Builder#keyStateCacheTtl(Duration)} (5 seconds by default). Unwrap always runs the
 * private-key operation in the token, so a version disabled by any process is refused at once.
 * The wrap algorithm: {@code RSA-OAEP-256} when the token decrypts OAEP with SHA-256 natively
 * (probed once with {@code C_GetMechanismInfo} and a trial decryption); otherwise as chosen by
 * {@link OaepFallback}. The algorithm used is recorded in every {@link WrappedKey}.
 *
 * <p><b>Security guarantees:</b> private keys of this module never leave the token (they are
 * generated inside it, sensitive and not extractable; pairs made elsewhere that do not guarantee
 * this are not reported as HSM keys); the PIN is read from a {@link PinSource} and never logged or put
 * in a message; every failure is a {@link dev.cmk.api.CmkException} (vendor exceptions only as
 * causes) classified for the loss-of-access guard; every malformed or tampered wrapped key gives
 * the same {@link InvalidCiphertextException}; software OAEP decoding is constant-time.
 *
 * <p><b>Thread safety:</b> immutable configuration; safe for concurrent use. A pool of at most
 * {@link Builder#maxSessions(int)} sessions serves concurrent calls, one session per thread at a
 * time; the application logs in once. Lost sessions ({@code CKR_SESSION_HANDLE_INVALID}, {@code
 * CKR_DEVICE_REMOVED}, {@code CKR_TOKEN_NOT_PRESENT}, &hellip;) and lost logins (a session that
 * is no longer logged in, checked before a key is reported missing) are re-opened, logged in again
 * and the call retried once before it fails with {@link
 * dev.cmk.api.KeyProviderUnavailableException}. A PIN the token refused at a re-login is not
 * offered again for a back-off (1 minute, doubling up to 1 hour) unless the {@link PinSource}
 * yields a different one. {@link #close()} is safe while other threads are in calls.
 */
public final class Pkcs11KeyProvider implements KeyEncryptionKeyProvider {

  /** The provider id written into envelopes. */
  public static final String ID = "pkcs11";

  private static final System.Logger LOG = System.getLogger(Pkcs11KeyProvider.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<String> MATCHED_URI_ATTRIBUTES = Set.of("serial", "manufacturer", "model");

  private final TokenConnection connection;
  private final OaepFallback oaepFallback;
  private final Duration keyStateCacheTtl;
  private final Clock clock;
  private final Map<String, KeyVersion> versions = new ConcurrentHashMap<>();
  private final Map<WrapAlgorithm, Boolean> nativeOaep = new ConcurrentHashMap<>();
  /** Versions that refuse the token-wide unwrap path: true = native OAEP, false = raw RSA. */
  private final Map<String, Boolean> keyPaths = new ConcurrentHashMap<>();
  private final Pkcs11KeyManager keyManager;

  private Pkcs11KeyProvider(Builder b, TokenConnection connection) {
    this.connection = connection;
    this.oaepFallback = b.oaepFallback;
    this.keyStateCacheTtl = b.keyStateCacheTtl;
    this.clock = b.clock;
    this.keyManager = new Pkcs11KeyManager(this, connection);
  }

  /**
   * A new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String id() {
    return ID;
  }

  /**
   * The lifecycle API for keys on this provider's token, sharing its sessions and login.
   *
   * @return the key manager
   */
  public Pkcs11KeyManager keyManager() {
    return keyManager;
  }

  /** The label of the token this provider uses (the {@code token} of its key references). */
  public String tokenLabel() {
    return connection.tokenLabel();
  }

  /**
   * Serves PKCS#11 references whose {@code token} is this token's label; {@code serial}, {@code
   * manufacturer} and {@code model}, when present, must match the token too, and no other
   * attribute may be present.
   */
  @Override
  public boolean serves(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    if (reference.kind() != KeyReference.Kind.PKCS11
        || !reference.authority().equals(connection.tokenLabel())) {
      return false;
    }
    for (Map.Entry<String, String> e : reference.pkcs11Attributes().entrySet()) {
      if (!MATCHED_URI_ATTRIBUTES.contains(e.getKey())) {
        return false;
      }
      String actual =
          e.getKey().equals("serial")
              ? connection.tokenSerial()
              : e.getKey().equals("manufacturer") ? connection.manufacturer() : connection.model();
      if (!actual.equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The one "not served" rule of this provider: a reference it does not {@linkplain #serves serve}
   * names no key on its token, which is {@link KeyNotFoundException}, as with the other providers.
   */
  private void checkServed(KeyReference reference) {
    if (!serves(reference)) {
      throw new KeyNotFoundException(
          "the key is not on PKCS#11 token '" + tokenLabel() + "'", reference);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws KeyNotFoundException also if this provider does not {@linkplain #serves serve} {@code
   *     reference}
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    checkServed(reference);
    Instant now = clock.instant();
    KeyVersion v =
        connection.call(
            "describe",
            reference,
            s -> {
              long generation = connection.generation();
              if (reference.isVersioned()) {
                return KeyObjects.findSettled(s, reference, generation, now)
                    .orElseThrow(() -> notFound(reference));
              }
              List<KeyVersion> all = KeyObjects.findAll(s, reference, generation, now);
              if (all.isEmpty()) {
                throw notFound(reference);
              }
              return all.get(all.size() - 1);
            });
    versions.put(cacheKey(v.name(), v.version()), v);
    return description(v);
  }

  /**
   * The description of a version: its key type ({@code RSA-HSM} when generated in the token and
   * never extractable, else {@code RSA}; {@code EC}/{@code EC-HSM} or {@code OTHER} for keys that
   * cannot wrap, which then permit no operation), no vault protection (a token has no soft delete),
   * and the {@link dev.cmk.api.TokenProtection} the token attests instead.
   */
  KeyDescription description(KeyVersion v) {
    Set<KeyOperation> ops = EnumSet.noneOf(KeyOperation.class);
    if (v.isRsa()) {
      ops.add(KeyOperation.ENCRYPT);
      ops.add(KeyOperation.WRAP_KEY);
      if (v.enabled()) {
        ops.add(KeyOperation.DECRYPT);
        ops.add(KeyOperation.UNWRAP_KEY);
      }
    }
    return new KeyDescription(
        References.of(tokenLabel(), v.name(), v.version()),
        v.keyType(),
        v.sizeBits(),
        v.enabled(),
        null,
        null,
        ops,
        VaultProtection.none(),
        v.protection());
  }

  /**
   * {@inheritDoc}
   *
   * <p>The data key must fit one RSA-OAEP block (at most 190 bytes with RSA-2048 and SHA-256).
   *
   * @throws IllegalArgumentException also if the data key is too long for the key
   * @throws KeyNotFoundException also if this provider does not serve {@code reference}
   */
  @Override
  public WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(dataKey, "dataKey");
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException(
          "wrap needs a versioned key reference; resolve the latest version first");
    }
    checkServed(reference);
    KeyVersion v = versionForWrap(reference).requireRsa(reference);
    if (!v.enabled()) {
      throw new KeyAccessDeniedException(
          "the key version is disabled (CKA_DECRYPT is false)",
          KeyAccessDeniedException.Reason.KEY_DISABLED,
          reference);
    }
    WrapAlgorithm algorithm = wrapAlgorithm(reference, v);
    byte[] plain = dataKey.copy();
    try {
      return new WrappedKey(ID, reference, algorithm, RsaOaep.encrypt(v.publicKey(), algorithm, plain));
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  private KeyVersion versionForWrap(KeyReference reference) {
    String key = cacheKey(reference.name(), reference.version().orElseThrow());
    KeyVersion cached = versions.get(key);
    Instant now = clock.instant();
    if (cached != null && cached.generation() == connection.generation() && fresh(cached, now)) {
      return cached;
    }
    try {
      KeyVersion v =
          connection.call(
              "wrap",
              reference,
              s -> {
                long generation = connection.generation();
                if (cached != null && cached.generation() == generation) {
                  try {
                    return cached.withEnabled(
                        KeyObjects.readEnabled(s, cached.privateHandle()), now);
                  } catch (PKCS11Exception e) {
                    if (!Pkcs11Errors.isHandleInvalid(e.getErrorCode())) {
                      throw e;
                    }
                  }
                }
                return KeyObjects.findSettled(s, reference, generation, now)
                    .orElseThrow(() -> notFound(reference));
              });
      versions.put(key, v);
      return v;
    } catch (KeyNotFoundException e) {
      versions.remove(key);
      throw e;
    }
  }

  private boolean fresh(KeyVersion v, Instant now) {
    return !now.isBefore(v.readAt())
        && Duration.between(v.readAt(), now).compareTo(keyStateCacheTtl) < 0;
  }

  private WrapAlgorithm wrapAlgorithm(KeyReference reference, KeyVersion v) {
    if (oaepFallback == OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP) {
      return WrapAlgorithm.RSA_OAEP_256; // decrypted natively or with raw RSA, same bytes
    }
    Boolean known = nativeOaep.get(WrapAlgorithm.RSA_OAEP_256);
    if (known == null) {
      known =
          connection.call(
              "probe RSA-OAEP-256", reference, s -> nativeOaep(s, WrapAlgorithm.RSA_OAEP_256, v));
    }
    return known ? WrapAlgorithm.RSA_OAEP_256 : WrapAlgorithm.RSA_OAEP_SHA1;
  }

  /**
   * Whether the token decrypts {@code algorithm} natively, probing until a definite answer is
   * known: {@code C_GetMechanismInfo(CKM_RSA_PKCS_OAEP)} must allow decryption, and a trial
   * decryption of a random value encrypted in software under {@code v} must return it. Only
   * definite answers about the token are remembered ({@link Pkcs11Errors#isProbeAnswerDefinite}).
   * A refusal that concerns the key rather than the token ({@code CKR_MECHANISM_INVALID} for a
   * mechanism the token lists, i.e. the key's {@code CKA_ALLOWED_MECHANISMS}; {@link
   * Pkcs11Errors#isKeySpecific key type, size or function}) answers "no" for this call only, so a
   * key named by a forged envelope cannot change how every other key is decrypted, nor which
   * algorithm new wraps use. Any other failure is thrown (and classified by the connection), and
   * the next call probes again.
   */
  private boolean nativeOaep(Session s, WrapAlgorithm algorithm, KeyVersion v)
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
      LOG.log(
          System.Logger.Level.INFO,
          "PKCS#11 token ''{0}'': {1} {2}",
          tokenLabel(),
          algorithm.jwaName(),
          supported
              ? "is decrypted natively (CKM_RSA_PKCS_OAEP)"
              : "is not supported natively; unwrap uses raw RSA (CKM_RSA_X_509) and decodes OAEP"
                  + " in software");
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
    byte[] ciphertext = RsaOaep.encrypt(v.publicKey(), algorithm, secret);
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

  /**
   * {@inheritDoc}
   *
   * <p>Ciphertexts that are not exactly one modulus long, or not smaller than the modulus, are
   * refused before they reach the token. An empty data key counts as invalid ciphertext.
   *
   * <p>A wrapped key naming a key this provider cannot use is refused for that call only, with an
   * authoritative exception: {@link KeyNotFoundException} when it was made by another provider,
   * names another token, or names a version with no object on the token; {@link
   * KeyAccessDeniedException} {@link KeyAccessDeniedException.Reason#KEY_DISABLED KEY_DISABLED}
   * when the version's private key has {@code CKA_DECRYPT} false (the token answers {@code
   * CKR_KEY_FUNCTION_NOT_PERMITTED}); {@link KeyAccessDeniedException.Reason#OPERATION_NOT_PERMITTED
   * OPERATION_NOT_PERMITTED} when the objects with that label and id are no RSA private key (a
   * public key only, a secret key, an EC key) or the key's {@code CKA_ALLOWED_MECHANISMS} exclude
   * both OAEP and raw RSA. Such a key never changes how the provider decrypts under other keys:
   * the native-OAEP probe does not remember a refusal that concerns the key it ran with, and a key
   * that permits only one of the two mechanisms is decrypted with that one.
   *
   * @throws KeyNotFoundException also if {@code wrappedKey} was made by another provider or names a
   *     key this provider does not serve
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrappedKey) {
    Objects.requireNonNull(wrappedKey, "wrappedKey");
    if (!ID.equals(wrappedKey.providerId())) {
      throw new KeyNotFoundException(
          "the key was wrapped by another provider, not by '" + ID + "'",
          wrappedKey.keyReference());
    }
    KeyReference reference = wrappedKey.keyReference();
    checkServed(reference);
    String key = cacheKey(reference.name(), reference.version().orElseThrow());
    WrapAlgorithm algorithm = wrappedKey.algorithm();
    byte[] ciphertext = wrappedKey.ciphertext();
    byte[] dataKey =
        connection.call(
            "unwrap",
            reference,
            s -> {
              long generation = connection.generation();
              KeyVersion cached = versions.get(key);
              KeyVersion v =
                  (cached != null && cached.generation() == generation
                          ? cached
                          : findForUnwrap(s, reference, key, generation))
                      .requireRsa(reference);
              for (int attempt = 0; ; attempt++) {
                RsaOaep.checkCiphertext(ciphertext, v.publicKey().getModulus());
                try {
                  byte[] out = decrypt(s, v, algorithm, ciphertext);
                  if (!v.enabled()) {
                    versions.put(key, v.withEnabled(true, clock.instant()));
                  }
                  return out;
                } catch (PKCS11Exception e) {
                  long code = e.getErrorCode();
                  if (attempt == 0 && Pkcs11Errors.isHandleInvalid(code)) {
                    versions.remove(key);
                    v = findForUnwrap(s, reference, key, generation).requireRsa(reference);
                    continue;
                  }
                  if (code == CKR_KEY_FUNCTION_NOT_PERMITTED) {
                    versions.put(key, v.withEnabled(false, clock.instant()));
                  }
                  throw e;
                }
              }
            });
    return SecretBytes.wrapOwned(dataKey);
  }

  private KeyVersion findForUnwrap(Session s, KeyReference reference, String key, long generation)
      throws PKCS11Exception {
    Optional<KeyVersion> found = KeyObjects.findSettled(s, reference, generation, clock.instant());
    if (found.isEmpty()) {
      throw absentOrUnusable(s, reference);
    }
    versions.put(key, found.get());
    return found.get();
  }

  /**
   * Why no RSA private key answers to {@code reference}: {@link KeyNotFoundException} when no
   * object at all has its label and id, else {@link KeyAccessDeniedException} {@code
   * OPERATION_NOT_PERMITTED} (the objects there cannot unwrap). The second is only concluded in a
   * logged-in session, since a session that lost its login sees public objects but no private ones
   * (the connection then logs in again and retries).
   */
  private static RuntimeException absentOrUnusable(Session s, KeyReference reference)
      throws PKCS11Exception {
    if (!KeyObjects.anyObject(s, reference)) {
      return notFound(reference);
    }
    TokenConnection.requireLogin(s);
    return new KeyAccessDeniedException(
        "the token has objects with this key's label and id, but no RSA private key that can unwrap",
        KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED,
        reference);
  }

  /**
   * Decrypts with the token's OAEP or with raw RSA, as {@link #nativeOaep} says for the token, or
   * as this key version was found to need: a key whose {@code CKA_ALLOWED_MECHANISMS} refuse the
   * chosen mechanism ({@code CKR_MECHANISM_INVALID}) is tried once with the other one, and if that
   * works, the key is always decrypted that way. If neither works, the first refusal is thrown
   * (classified {@code OPERATION_NOT_PERMITTED}).
   */
  private byte[] decrypt(Session s, KeyVersion v, WrapAlgorithm algorithm, byte[] ciphertext)
      throws PKCS11Exception {
    String key = cacheKey(v.name(), v.version());
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
      out = RsaOaep.decodeRaw(s.decrypt(ciphertext), v.modulusBytes(), algorithm);
    }
    if (out.length == 0) {
      throw new InvalidCiphertextException();
    }
    return out;
  }

  /**
   * {@inheritDoc}
   *
   * @return the version's RSA public key, read from the token; empty if the version is not RSA
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist or is not served
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    Objects.requireNonNull(reference, "reference");
    if (!reference.isVersioned()) {
      throw new IllegalArgumentException("publicKey needs a versioned key reference");
    }
    checkServed(reference);
    KeyVersion cached = versions.get(cacheKey(reference.name(), reference.version().get()));
    KeyVersion v = cached != null ? cached : versionForWrap(reference);
    return Optional.ofNullable(v.publicKey()); // empty for keys that are not RSA
  }

  /** Whether the token decrypts {@code algorithm} natively, once probed (for tests). */
  Optional<Boolean> nativeOaepSupport(WrapAlgorithm algorithm) {
    return Optional.ofNullable(nativeOaep.get(algorithm));
  }

  /** The current time on the provider's clock. */
  Instant now() {
    return clock.instant();
  }

  /** The sessions (for tests and the key manager). */
  TokenConnection connection() {
    return connection;
  }

  /** Drops cached state of {@code key} (one version if versioned, else every version). */
  void forget(KeyReference key) {
    if (key.isVersioned()) {
      versions.remove(cacheKey(key.name(), key.version().get()));
      keyPaths.remove(cacheKey(key.name(), key.version().get()));
    } else {
      String prefix = key.name() + "\n";
      versions.keySet().removeIf(k -> k.startsWith(prefix));
      keyPaths.keySet().removeIf(k -> k.startsWith(prefix));
    }
  }

  /** Name and version; a newline is in neither (labels have no control characters). */
  private static String cacheKey(String name, String version) {
    return name + "\n" + version;
  }

  /** The {@link KeyNotFoundException} for a missing key (versionless) or version. */
  static KeyNotFoundException notFound(KeyReference reference) {
    return new KeyNotFoundException(
        reference.isVersioned() ? "key version not found on the token" : "key not found on the token",
        reference);
  }

  /**
   * Closes every session and releases the library once no call is inside the token (waiting up to
   * 10 seconds for running calls; a longer call releases it as it returns). Calls made after
   * {@code close()} began throw {@link IllegalStateException}. Idempotent.
   */
  @Override
  public void close() {
    connection.close();
    versions.clear();
    keyPaths.clear();
  }

  @Override
  public String toString() {
    return "Pkcs11KeyProvider[token="
        + tokenLabel()
        + ", library="
        + connection.library().path()
        + ", fallback="
        + oaepFallback
        + "]";
  }

  /**
   * Configures a {@link Pkcs11KeyProvider}. Required: {@link #library(Path)}, exactly one of
   * {@link #tokenLabel(String)}, {@link #tokenSerial(String)} and {@link #slotId(long)}, and
   * {@link #pin(PinSource)}.
   *
   * <p><b>Thread safety:</b> not thread-safe; build on one thread. The built provider is immutable.
   */
  public static final class Builder {
    private Path library;
    private String tokenLabel;
    private String tokenSerial;
    private Long slotId;
    private PinSource pin;
    private OaepFallback oaepFallback = OaepFallback.RAW_RSA_WITH_SOFTWARE_OAEP;
    private int maxSessions = Math.max(2, Runtime.getRuntime().availableProcessors());
    private Duration sessionAcquireTimeout = Duration.ofSeconds(10);
    private Duration keyStateCacheTtl = Duration.ofSeconds(5);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * The PKCS#11 library, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}, {@code
     * /usr/safenet/lunaclient/lib/libCryptoki2_64.so}. Required.
     *
     * @param library path of the shared library
     * @return this builder
     */
    public Builder library(Path library) {
      this.library = Objects.requireNonNull(library, "library");
      return this;
    }

    /**
     * Selects the token by label ({@code CKA_LABEL} of the token, the {@code token} attribute of
     * key references).
     *
     * @param tokenLabel 1&ndash;32 characters
     * @return this builder
     */
    public Builder tokenLabel(String tokenLabel) {
      Objects.requireNonNull(tokenLabel, "tokenLabel");
      if (tokenLabel.isEmpty() || tokenLabel.length() > 32) {
        throw new IllegalArgumentException("tokenLabel must be 1-32 characters");
      }
      this.tokenLabel = tokenLabel;
      return this;
    }

    /**
     * Selects the token by serial number (use when several tokens share a label).
     *
     * @param tokenSerial the serial number as the token reports it
     * @return this builder
     */
    public Builder tokenSerial(String tokenSerial) {
      Objects.requireNonNull(tokenSerial, "tokenSerial");
      if (tokenSerial.isEmpty() || tokenSerial.length() > 16) {
        throw new IllegalArgumentException("tokenSerial must be 1-16 characters");
      }
      this.tokenSerial = tokenSerial;
      return this;
    }

    /**
     * Selects the token by slot id (not stable on SoftHSM, which reassigns ids).
     *
     * @param slotId the slot id
     * @return this builder
     */
    public Builder slotId(long slotId) {
      if (slotId < 0) {
        throw new IllegalArgumentException("slotId must not be negative");
      }
      this.slotId = slotId;
      return this;
    }

    /**
     * Where the user PIN comes from. Required.
     *
     * @param pin the source
     * @return this builder
     */
    public Builder pin(PinSource pin) {
      this.pin = Objects.requireNonNull(pin, "pin");
      return this;
    }

    /**
     * What to do when the token lacks native RSA-OAEP-256 (default {@link
     * OaepFallback#RAW_RSA_WITH_SOFTWARE_OAEP}).
     *
     * @param oaepFallback the fallback
     * @return this builder
     */
    public Builder oaepFallback(OaepFallback oaepFallback) {
      this.oaepFallback = Objects.requireNonNull(oaepFallback, "oaepFallback");
      return this;
    }

    /**
     * Largest number of pooled sessions, i.e. of concurrent token operations (default: the number
     * of processors, at least 2).
     *
     * @param maxSessions 1&ndash;1024
     * @return this builder
     */
    public Builder maxSessions(int maxSessions) {
      if (maxSessions < 1 || maxSessions > 1024) {
        throw new IllegalArgumentException("maxSessions must be 1-1024");
      }
      this.maxSessions = maxSessions;
      return this;
    }

    /**
     * How long a call waits for a free session before failing with {@link
     * dev.cmk.api.KeyProviderUnavailableException} (default 10 seconds).
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder sessionAcquireTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      this.sessionAcquireTimeout = timeout;
      return this;
    }

    /**
     * How long wrap trusts the enabled state it last read for a version (default 5 seconds; zero
     * re-reads it on every wrap). Unwrap is not affected: the token checks every unwrap.
     *
     * @param ttl not negative
     * @return this builder
     */
    public Builder keyStateCacheTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("ttl must not be negative");
      }
      this.keyStateCacheTtl = ttl;
      return this;
    }

    /**
     * The clock for the key state cache and for the back-off after the token refused the PIN at a
     * re-login (default the system clock).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Loads the library, finds the token, opens a session and logs in.
     *
     * @return the provider; close it when done
     * @throws IllegalStateException if a required setting is missing or contradictory, or on a
     *     configuration error: library missing or not loadable, no or several matching tokens, PIN
     *     unreadable, wrong, locked or expired. The message and causes never contain the PIN.
     */
    public Pkcs11KeyProvider build() {
      if (library == null) {
        throw new IllegalStateException("library is required");
      }
      if (pin == null) {
        throw new IllegalStateException("pin is required");
      }
      TokenConnection.Selector selector =
          new TokenConnection.Selector(tokenLabel, tokenSerial, slotId);
      TokenConnection connection =
          TokenConnection.open(library, selector, pin, maxSessions, sessionAcquireTimeout, clock);
      return new Pkcs11KeyProvider(this, connection);
    }
  }
}
