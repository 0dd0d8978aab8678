package dev.cmk.core.internal;

import dev.cmk.api.SecretBytes;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * A plaintext data key held by a cache, with everything derived from it that every envelope
 * needs, so that an envelope costs no key set-up:
 *
 * <ul>
 *   <li>an HMAC-SHA256 instance already keyed with it (cloned per use instead of re-keyed);
 *   <li>the AES-256 body key {@link MessageCrypto#deriveBodyKey derived} from it once, so the
 *       JDK's cipher keeps its expanded key schedule between envelopes;
 *   <li>the HMAC state after the header label and the static part of the last header seen
 *       (identical for every envelope under this data key and one segment size), so the header
 *       tag costs a clone and a block or two instead of hashing the whole wrapped key again;
 *   <li>for format v2, the body keys of the writer slots seen ({@link #slotKey}), derived once
 *       each, and the key version the record was unwrapped under ({@link #source()}).
 * </ul>
 *
 * <p>{@link #destroy()} zeroes the data key and drops this object's references to every derived
 * state; afterwards every use throws {@link IllegalStateException}, which callers treat as
 * "evicted meanwhile, load again". What it cannot reach: the JDK's {@code Cipher} objects keep the
 * body key's AES schedule (and, after an encryption, a copy of the key for the JDK's own IV-reuse
 * check) until they are re-initialised with another key or collected, and Java gives no way to
 * wipe a {@code SecretKeySpec} or {@code Mac} state. Destroying is a bound on how long this library
 * keeps key material reachable on purpose, not a guarantee that no copy remains in the heap.
 * Revocation does not depend on it: open streams and range readers ask the loss-of-access guard
 * before every segment.
 *
 * <p>Thread-safe without locks: the shared HMAC states are never updated after they are
 * published (through volatile fields), and every use works on a clone, so concurrent envelopes
 * under one data key do not contend.
 */
public final class DataKey {
  /** Bytes in a data key (format v1: 256 bits). */
  public static final int LENGTH = 32;

  private final SecretBytes secret;
  private volatile @Nullable Mac keyed; // null once destroyed; never updated, only cloned
  private volatile @Nullable SecretKeySpec bodyKey; // null once destroyed
  private volatile @Nullable HeaderState header; // last static header part seen, or null
  // v2: the version its record was unwrapped under; null for a v1 data key
  private final @Nullable KeyVersionId source;
  private final ConcurrentHashMap<Long, SecretKeySpec> slotKeys = new ConcurrentHashMap<>();

  /**
   * Most v2 slot keys kept per data key; more are derived per envelope. Slots come from headers
   * before any segment authenticated, so this bounds what forged headers can make a cache hold
   * (32 keys of about 100 bytes per cached data key).
   */
  static final int MAX_SLOT_KEYS = 32;
  private static final byte[] ID_LABEL = "cmk/v2/data-key-id".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SLOT_KEY_LABEL =
      "cmk/v2/body-key".getBytes(StandardCharsets.US_ASCII);

  /** The HMAC state after label || {@code staticPart}; {@code state} is never updated. */
  private record HeaderState(byte[] staticPart, Mac state) {}

  private DataKey(SecretBytes secret, Mac keyed, @Nullable KeyVersionId source) {
    this.secret = secret;
    this.keyed = keyed;
    this.source = source;
  }

  /** Takes ownership of {@code secret}. */
  public static DataKey of(SecretBytes secret) {
    return of(secret, null);
  }

  /**
   * A format v2 data key unwrapped from a record under {@code source} (takes ownership of {@code
   * secret}).
   */
  public static DataKey of(SecretBytes secret, @Nullable KeyVersionId source) {
    byte[] k = secret.copy();
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(k, "HmacSHA256"));
      DataKey key = new DataKey(secret, mac, source);
      key.bodyKey = MessageCrypto.deriveBodyKey(key.newMac());
      return key;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /**
   * A copy of {@code mac}'s state; {@code null} if its provider cannot clone (the JDK's can; a
   * provider installed ahead of it might not, and then every use re-keys).
   */
  private static @Nullable Mac copy(Mac mac) {
    try {
      return (Mac) mac.clone();
    } catch (CloneNotSupportedException e) {
      return null;
    }
  }

  private Mac rekeyed(Mac like) {
    byte[] k = secret.copy();
    try {
      Mac mac = Mac.getInstance(like.getAlgorithm(), like.getProvider());
      mac.init(new SecretKeySpec(k, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 failed", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  private static IllegalStateException destroyed() {
    return new IllegalStateException("data key has been destroyed");
  }

  /** A fresh HMAC-SHA256 keyed with this data key. */
  Mac newMac() {
    Mac k = keyed;
    if (k == null) {
      throw destroyed();
    }
    Mac m = copy(k);
    return m != null ? m : rekeyed(k);
  }

  /** The AES-256 key of envelope bodies under this data key. */
  SecretKeySpec bodyKey() {
    SecretKeySpec k = bodyKey;
    if (k == null) {
      throw destroyed();
    }
    return k;
  }

  /**
   * An HMAC keyed with this data key that has absorbed {@code label} and {@code
   * header[0, staticLength)}; served from the cached state when the static part is the one seen
   * last.
   */
  Mac headerMac(byte[] label, byte[] headerBytes, int staticLength) {
    HeaderState seen = header;
    if (seen != null
        && keyed != null
        && Arrays.equals(seen.staticPart, 0, seen.staticPart.length, headerBytes, 0, staticLength)) {
      Mac m = copy(seen.state);
      if (m != null) {
        return m;
      }
    }
    Mac m = newMac();
    m.update(label);
    m.update(headerBytes, 0, staticLength);
    Mac state = copy(m);
    if (state != null && keyed != null) {
      header = new HeaderState(Arrays.copyOf(headerBytes, staticLength), state);
      if (keyed == null) {
        header = null; // destroyed while we published: do not keep a keyed state alive
      }
    }
    return m;
  }

  /** The key version a v2 record was unwrapped under, or null for a v1 data key. */
  public @Nullable KeyVersionId source() {
    return source;
  }

  /** Format v2's record id: {@code HMAC-SHA256(DK, "cmk/v2/data-key-id")}, 32 bytes. */
  public byte[] recordId() {
    return newMac().doFinal(ID_LABEL);
  }

  /**
   * Whether {@code id} is this key's record id, compared in constant time.
   *
   * @throws IllegalStateException if the key was destroyed
   */
  public boolean hasRecordId(byte[] id) {
    return java.security.MessageDigest.isEqual(recordId(), id);
  }

  /**
   * Format v2's body key of writer slot {@code slot}: {@code HMAC-SHA256(DK, "cmk/v2/body-key" ||
   * u32(slot))}, derived once per slot (up to {@link #MAX_SLOT_KEYS} slots are kept).
   *
   * @throws IllegalStateException if the key was destroyed
   */
  SecretKeySpec slotKey(long slot) {
    SecretKeySpec k = slotKeys.get(slot);
    if (k == null) {
      Mac m = newMac();
      m.update(SLOT_KEY_LABEL);
      byte[] s = new byte[4];
      Bytes.putU32(s, 0, (int) slot);
      k = MessageCrypto.deriveBodyKey(m, s);
      if (slotKeys.size() < MAX_SLOT_KEYS && keyed != null) {
        slotKeys.putIfAbsent(slot, k);
        if (keyed == null) {
          slotKeys.clear(); // destroyed while we published
        }
      }
    }
    if (keyed == null) {
      throw destroyed();
    }
    return k;
  }

  /** The secret, for re-wrapping. */
  public SecretBytes secret() {
    return secret;
  }

  /** Zeroes the key and forgets every state derived from it. Idempotent. */
  public void destroy() {
    keyed = null;
    bodyKey = null;
    header = null;
    slotKeys.clear();
    secret.destroy();
  }

  public boolean isDestroyed() {
    return keyed == null;
  }

  @Override
  public String toString() {
    return "DataKey[" + (isDestroyed() ? "destroyed" : "32 bytes") + "]";
  }
}
