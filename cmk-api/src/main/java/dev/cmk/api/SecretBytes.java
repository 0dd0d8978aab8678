package dev.cmk.api;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * Secret key material (a plaintext data key) that never prints its bytes and can be destroyed.
 *
 * <p><b>Security guarantees:</b> {@link #toString()} shows only the length; {@link #equals} is
 * constant-time; {@link #destroy()} overwrites the bytes with zeros, after which every access
 * throws {@link IllegalStateException}. Bytes are copied in and out, so callers' arrays are never
 * aliased.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; {@link #copy()} and {@link #destroy()} are
 * atomic with respect to each other, so a copy is either complete or refused.
 */
public final class SecretBytes implements Destroyable {
  private final byte[] bytes;
  private boolean destroyed;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Copies {@code bytes} into a new holder. The caller should wipe its own array afterwards.
   *
   * @param bytes the secret, not empty
   * @return the holder
   */
  public static SecretBytes copyOf(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new IllegalArgumentException("secret must not be empty");
    }
    return new SecretBytes(bytes.clone());
  }

  /**
   * Takes ownership of {@code bytes} without copying; the caller must not use the array again.
   *
   * @param bytes the secret, not empty
   * @return the holder
   */
  public static SecretBytes wrapOwned(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new IllegalArgumentException("secret must not be empty");
    }
    return new SecretBytes(bytes);
  }

  /**
   * A copy of the secret. The caller should wipe it ({@code Arrays.fill(copy, (byte) 0)}) when done.
   *
   * @return a fresh copy
   * @throws IllegalStateException if destroyed
   */
  public synchronized byte[] copy() {
    if (destroyed) {
      throw new IllegalStateException("secret has been destroyed");
    }
    return bytes.clone();
  }

  /** {@return the length in bytes (available after destruction too)} */
  public int length() {
    return bytes.length;
  }

  /** Overwrites the secret with zeros. Idempotent. */
  @Override
  public synchronized void destroy() {
    Arrays.fill(bytes, (byte) 0);
    destroyed = true;
  }

  @Override
  public synchronized boolean isDestroyed() {
    return destroyed;
  }

  /** Constant-time comparison of the secret bytes. A destroyed secret equals only itself. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SecretBytes)) {
      return false;
    }
    byte[] a;
    byte[] b;
    try {
      a = copy();
      b = ((SecretBytes) o).copy();
    } catch (IllegalStateException e) {
      return false;
    }
    try {
      return MessageDigest.isEqual(a, b);
    } finally {
      Arrays.fill(a, (byte) 0);
      Arrays.fill(b, (byte) 0);
    }
  }

  /** Depends only on the length, so that it leaks nothing about the bytes. */
  @Override
  public int hashCode() {
    return bytes.length;
  }

  @Override
  public String toString() {
    return "SecretBytes[" + bytes.length + " bytes" + (isDestroyed() ? ", destroyed" : "") + "]";
  }
}
