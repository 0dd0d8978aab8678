package dev.cmk.softhsm;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_KEY_FUNCTION_NOT_PERMITTED;

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
import dev.cmk.api.spi.KeyManager;
import dev.cmk.api.spi.RsaOaep;
import dev.cmk.api.spi.ServedKeys;
import dev.cmk.softhsm.internal.KeyObjects;
import dev.cmk.softhsm.internal.KeyObjects.KeyVersion;
import dev.cmk.softhsm.internal.Pkcs11Errors;
import dev.cmk.softhsm.internal.RawRsa;
import dev.cmk.softhsm.internal.TokenConnection;
import dev.cmk.softhsm.internal.TokenDecryption;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/**
 * A {@link KeyEncryptionKeyProvider} (id {@value #ID}) for RSA key pairs in a PKCS#11 token: SoftHSM2
 * in tests, any HSM with a PKCS#11 library in production.
 *
 * <p>Keys are named by RFC 7512 references, {@code pkcs11:token=cmk;object=patient-data;id=v0002}:
 * {@code token} is the token label, {@code object} the key name (the objects' {@code CKA_LABEL},
 * any label), {@code id} the version (the objects' {@code CKA_ID}, any 1&ndash;64 bytes: {@code
 * id=%01%02} for a binary id made by {@code pkcs11-tool}). Each version is its own key pair;
 * versions made by {@link Pkcs11KeyManager} are {@code v0001-}<i>16 random hex digits</i>, {@code
 * v0002-}&hellip;, and the highest number is the latest; the random part means that the id of a
 * deleted version is never issued again. A version is enabled while its private key's {@code
 * CKA_DECRYPT} is true. Keys are reported as {@link KeyType#RSA_HSM} only when the private key is
 * {@code CKA_SENSITIVE}, not {@code CKA_EXTRACTABLE}, and (where the token reports them) {@code
 * CKA_ALWAYS_SENSITIVE} and {@code CKA_NEVER_EXTRACTABLE}, i.e. generated in the token and never
 * exportable; any other pair (imported, or ever extractable) is reported as {@link KeyType#RSA},
 * which key policies that require an HSM refuse. Private keys of other types under a key's label
 * (an EC key) are described as what they are ({@code EC-HSM}, no operations), so that a key policy
 * refuses them by rule rather than the key being reported missing. Every description carries the
 * {@link dev.cmk.api.TokenProtection} the token attests ({@code CKA_TOKEN}, {@code CKA_SENSITIVE},
 * {@code CKA_EXTRACTABLE}, &hellip;) in place of the soft delete a token does not have.
 *
 * <p><b>Wrap and unwrap.</b> Wrap encrypts the data key with cmk-api's RSA-OAEP ({@link
 * dev.cmk.api.spi.RsaOaep}) in software under the public key read from the token (a public-key
 * operation; nothing secret leaves the token). It refuses a version it knows to be disabled,
 * re-reading the enabled state when the cached state is older than {@link
 * Pkcs11KeyProviderBuilder#keyStateCacheTtl(Duration)} (5 seconds by default). Unwrap always runs
 * the private-key operation in the token, so a version disabled by any process is refused at once.
 * The wrap algorithm: {@code RSA-OAEP-256} when the token decrypts OAEP with SHA-256 natively
 * (probed once with {@code C_GetMechanismInfo} and a trial decryption); otherwise as chosen by
 * {@link OaepFallback}. The algorithm used is recorded in every {@link WrappedKey}.
 *
 * <p><b>Security guarantees:</b> private keys of this module never leave the token (they are
 * generated inside it, sensitive and not extractable; pairs made elsewhere that do not guarantee
 * this are not reported as HSM keys); the PIN is read from a {@link dev.cmk.api.spi.SecretSource}
 * and never logged or put in a message; every failure is a {@link dev.cmk.api.CmkException}
 * (vendor exceptions only as causes) classified for the loss-of-access guard; every malformed or
 * tampered wrapped key gives the same {@link dev.cmk.api.InvalidCiphertextException}; software
 * OAEP decoding is constant-time.
 *
 * <p><b>Thread safety:</b> immutable configuration; safe for concurrent use. A pool of at most
 * {@link Pkcs11KeyProviderBuilder#maxSessions(int)} sessions serves concurrent calls, one session
 * per thread at a time; the application logs in once. Lost sessions ({@code
 * CKR_SESSION_HANDLE_INVALID}, {@code CKR_DEVICE_REMOVED}, {@code CKR_TOKEN_NOT_PRESENT},
 * &hellip;) and lost logins (a session that is no longer logged in, checked before a key is
 * reported missing) are re-opened, logged in again and the call retried once before it fails with
 * {@link dev.cmk.api.KeyProviderUnavailableException}. A PIN the token refused at a re-login is not
 * offered again for a back-off (1 minute, doubling up to 1 hour) unless the {@link
 * dev.cmk.api.spi.SecretSource} yields a different one. {@link #close()} is safe while other
 * threads are in calls.
 */
public final class Pkcs11KeyProvider implements KeyEncryptionKeyProvider {

  /** The provider id written into envelopes. */
  public static final String ID = "pkcs11";

  private static final Set<String> MATCHED_URI_ATTRIBUTES = Set.of("serial", "manufacturer", "model");

  private final TokenConnection connection;
  private final OaepFallback oaepFallback;
  private final Duration keyStateCacheTtl;
  private final Clock clock;
  private final Map<String, KeyVersion> versions = new ConcurrentHashMap<>();
  private final TokenDecryption decryption;
  private final Pkcs11KeyManager keyManager;

  Pkcs11KeyProvider(
      TokenConnection connection, OaepFallback oaepFallback, Duration keyStateCacheTtl, Clock clock) {
    this.connection = connection;
    this.oaepFallback = oaepFallback;
    this.keyStateCacheTtl = keyStateCacheTtl;
    this.clock = clock;
    this.decryption = new TokenDecryption(connection);
    this.keyManager = new Pkcs11KeyManager(this, connection);
  }

  /**
   * A new builder.
   *
   * @return the builder
   */
  public static Pkcs11KeyProviderBuilder builder() {
    return new Pkcs11KeyProviderBuilder();
  }

  @Override
  public String id() {
    return ID;
  }

  /**
   * The lifecycle API for keys on this provider's token, sharing its sessions and login: the same
   * object as {@link #keyManager()}, typed.
   *
   * @return the key manager
   */
  public Pkcs11KeyManager manager() {
    return keyManager;
  }

  /**
   * {@inheritDoc}
   *
   * @return this token's {@link Pkcs11KeyManager} (always present)
   */
  @Override
  public Optional<KeyManager> keyManager() {
    return Optional.of(keyManager);
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
   * {@inheritDoc}
   *
   * @throws KeyNotFoundException also if this provider does not {@linkplain #serves serve} {@code
   *     reference}
   */
  @Override
  public KeyDescription describe(KeyReference reference) {
    ServedKeys.requireServed(this, reference);
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
    return description(v, KeyReference.pkcs11(tokenLabel(), v.name(), v.version()));
  }

  /** As {@link #description(KeyVersion)}, naming {@code reference} (the caller's, as given). */
  private KeyDescription description(KeyVersion v, KeyReference reference) {
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
        reference,
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
    Objects.requireNonNull(dataKey, "dataKey");
    KeyReference.requireVersioned(reference, "reference");
    ServedKeys.requireServed(this, reference);
    KeyVersion v = versionForWrap(reference).requireRsa(reference);
    // The one "usable now?" rule of cmk-api: disabled (CKA_DECRYPT false) is KEY_DISABLED.
    description(v, reference).checkUsable(KeyOperation.WRAP_KEY, clock.instant());
    WrapAlgorithm algorithm = wrapAlgorithm(reference, v);
    return new WrappedKey(ID, reference, algorithm, RsaOaep.wrap(v.publicKey(), algorithm, dataKey));
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
    Boolean known = decryption.nativeOaepSupport(WrapAlgorithm.RSA_OAEP_256).orElse(null);
    if (known == null) {
      known =
          connection.call(
              "probe RSA-OAEP-256",
              reference,
              s -> decryption.nativeOaep(s, WrapAlgorithm.RSA_OAEP_256, v));
    }
    return known ? WrapAlgorithm.RSA_OAEP_256 : WrapAlgorithm.RSA_OAEP_SHA1;
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
    KeyReference reference = ServedKeys.requireOwn(this, wrappedKey);
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
                RawRsa.checkCiphertext(ciphertext, v.publicKey().getModulus());
                try {
                  byte[] out = decryption.decrypt(s, key, v, algorithm, ciphertext);
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
   * {@inheritDoc}
   *
   * @return the version's RSA public key, read from the token; empty if the version is not RSA
   * @throws IllegalArgumentException if {@code reference} is not versioned
   * @throws KeyNotFoundException if the version does not exist or is not served
   */
  @Override
  public Optional<PublicKey> publicKey(KeyReference reference) {
    KeyReference.requireVersioned(reference, "reference");
    ServedKeys.requireServed(this, reference);
    KeyVersion cached = versions.get(cacheKey(reference.name(), reference.version().get()));
    KeyVersion v = cached != null ? cached : versionForWrap(reference);
    return Optional.ofNullable(v.publicKey()); // empty for keys that are not RSA
  }

  /** Whether the token decrypts {@code algorithm} natively, once probed (for tests). */
  Optional<Boolean> nativeOaepSupport(WrapAlgorithm algorithm) {
    return decryption.nativeOaepSupport(algorithm);
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
      decryption.forget(cacheKey(key.name(), key.version().get()));
    } else {
      String prefix = key.name() + "\n";
      versions.keySet().removeIf(k -> k.startsWith(prefix));
      decryption.forgetPrefix(prefix);
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
    decryption.clear();
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
}
