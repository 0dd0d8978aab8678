package dev.cmk.core.internal;

import dev.cmk.api.SecretBytes;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

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
 *       tag costs a clone and a block or two instead of hashing the whole wrapped key again.
 * </ul>
 *
 * <p>{@link #destroy()} zeroes the key and drops every derived state; afterwards every use throws
 * {@link IllegalStateException}, which callers treat as "evicted meanwhile, load again".
 * Thread-safe.
 */
public final class DataKey {
  private final SecretBytes secret;
  private Mac keyed; // guarded by this; null once destroyed
  private SecretKeySpec bodyKey; // guarded by this; null once destroyed
  private byte[] staticPart; // guarded by this: the header bytes staticMac has absorbed
  private Mac staticMac; // guarded by this: HMAC state after label || staticPart

  private DataKey(SecretBytes secret, Mac keyed) {
    this.secret = secret;
    this.keyed = keyed;
  }

  /** Takes ownership of {@code secret}. */
  public static DataKey of(SecretBytes secret) {
    byte[] k = secret.copy();
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(k, "HmacSHA256"));
      DataKey key = new DataKey(secret, mac);
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
  private static Mac copy(Mac mac) {
    try {
      return (Mac) mac.clone();
    } catch (CloneNotSupportedException e) {
      return null;
    }
  }

  private Mac rekeyed() {
    byte[] k = secret.copy();
    try {
      Mac mac = Mac.getInstance(keyed.getAlgorithm(), keyed.getProvider());
      mac.init(new SecretKeySpec(k, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 failed", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  private void checkLive() {
    if (keyed == null) {
      throw new IllegalStateException("data key has been destroyed");
    }
  }

  /** A fresh HMAC-SHA256 keyed with this data key. */
  synchronized Mac newMac() {
    checkLive();
    Mac m = copy(keyed);
    return m != null ? m : rekeyed();
  }

  /** The AES-256 key of envelope bodies under this data key. */
  synchronized SecretKeySpec bodyKey() {
    checkLive();
    return bodyKey;
  }

  /**
   * An HMAC keyed with this data key that has absorbed {@code label} and {@code
   * header[0, staticLength)}; served from the cached state when the static part is the one seen
   * last.
   */
  synchronized Mac headerMac(byte[] label, byte[] header, int staticLength) {
    checkLive();
    byte[] seen = staticPart;
    if (seen != null && Arrays.equals(seen, 0, seen.length, header, 0, staticLength)) {
      Mac m = copy(staticMac);
      if (m != null) {
        return m;
      }
    }
    Mac m = newMac();
    m.update(label);
    m.update(header, 0, staticLength);
    Mac state = copy(m);
    if (state != null) {
      staticMac = state;
      staticPart = Arrays.copyOf(header, staticLength);
    }
    return m;
  }

  /** The secret, for re-wrapping. */
  public SecretBytes secret() {
    return secret;
  }

  /** Zeroes the key and forgets every state derived from it. Idempotent. */
  public synchronized void destroy() {
    keyed = null;
    bodyKey = null;
    staticMac = null;
    staticPart = null;
    secret.destroy();
  }

  public synchronized boolean isDestroyed() {
    return keyed == null;
  }

  @Override
  public String toString() {
    return "DataKey[" + (isDestroyed() ? "destroyed" : "32 bytes") + "]";
  }
}
