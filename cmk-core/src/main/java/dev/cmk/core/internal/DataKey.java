package dev.cmk.core.internal;

import dev.cmk.api.SecretBytes;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A plaintext data key held by a cache, with an HMAC-SHA256 instance already keyed with it, so
 * that per-envelope derivations clone a prepared state instead of re-keying (two SHA-256 blocks
 * saved per HMAC, and no key-schedule allocations).
 *
 * <p>{@link #destroy()} zeroes the key and drops the keyed HMAC state; afterwards every use throws
 * {@link IllegalStateException}, which callers treat as "evicted meanwhile, load again".
 * Thread-safe.
 */
public final class DataKey {
  private final SecretBytes secret;
  private Mac keyed; // guarded by this; null once destroyed

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
      return new DataKey(secret, mac);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /** A fresh HMAC-SHA256 keyed with this data key. */
  synchronized Mac newMac() {
    if (keyed == null) {
      throw new IllegalStateException("data key has been destroyed");
    }
    try {
      return (Mac) keyed.clone();
    } catch (CloneNotSupportedException e) {
      byte[] k = secret.copy();
      try {
        Mac mac = Mac.getInstance(keyed.getAlgorithm(), keyed.getProvider());
        mac.init(new SecretKeySpec(k, "HmacSHA256"));
        return mac;
      } catch (GeneralSecurityException ex) {
        throw new IllegalStateException("HmacSHA256 failed", ex);
      } finally {
        Arrays.fill(k, (byte) 0);
      }
    }
  }

  /** The secret, for re-wrapping. */
  public SecretBytes secret() {
    return secret;
  }

  /** Zeroes the key and forgets the keyed HMAC state. Idempotent. */
  public synchronized void destroy() {
    keyed = null;
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
