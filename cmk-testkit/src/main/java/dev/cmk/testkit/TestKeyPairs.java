package dev.cmk.testkit;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * RSA key pairs for tests, generated once per JVM and size and then shared: RSA key generation
 * takes up to a second per 3072-bit key, and most tests only need <em>a</em> key, for example to
 * {@linkplain InMemoryKeyManager#importKey import} into a provider or to decrypt with the JDK
 * what a provider wrapped.
 *
 * <p>Each size has two independent pairs ({@link #rsa(int)} and {@link #otherRsa(int)}), for tests
 * that need a key that is <em>not</em> the right one.
 *
 * <p><b>Security guarantees:</b> none; the private keys live in ordinary heap memory and every
 * test in the JVM sees the same pairs. Never use them outside tests.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; each pair is generated at most once.
 */
public final class TestKeyPairs {
  /** The sizes offered, in bits. */
  public static final List<Integer> RSA_SIZES = List.of(2048, 3072, 4096);

  private static final ConcurrentHashMap<Integer, KeyPair> FIRST = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Integer, KeyPair> SECOND = new ConcurrentHashMap<>();

  private TestKeyPairs() {}

  /**
   * The shared RSA key pair of {@code bits} (public exponent 65537).
   *
   * @param bits one of {@link #RSA_SIZES}
   * @return the pair; the same instance on every call
   * @throws IllegalArgumentException if {@code bits} is not offered
   */
  public static KeyPair rsa(int bits) {
    return FIRST.computeIfAbsent(check(bits), TestKeyPairs::generate);
  }

  /**
   * A second shared RSA key pair of {@code bits}, different from {@link #rsa(int)}.
   *
   * @param bits one of {@link #RSA_SIZES}
   * @return the pair; the same instance on every call
   * @throws IllegalArgumentException if {@code bits} is not offered
   */
  public static KeyPair otherRsa(int bits) {
    return SECOND.computeIfAbsent(check(bits), TestKeyPairs::generate);
  }

  /** The shared 2048-bit pair, {@code rsa(2048)}. */
  public static KeyPair rsa2048() {
    return rsa(2048);
  }

  private static int check(int bits) {
    if (!RSA_SIZES.contains(bits)) {
      throw new IllegalArgumentException("bits must be one of " + RSA_SIZES + ", found " + bits);
    }
    return bits;
  }

  private static KeyPair generate(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate an RSA-" + bits + " key", e);
    }
  }
}
