package dev.cmk.benchmarks.pkcs11;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.softhsm.OaepFallback;
import dev.cmk.softhsm.Pkcs11KeyProvider;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of {@link Pkcs11KeyProvider#unwrap} on a real SoftHSM2 token: RSA 2048 and 3072, one
 * thread and two threads sharing one provider (and so its session pool).
 *
 * <p><b>Set-up</b> (once per fork): a throw-away token ({@link SoftHsmToken}; needs SoftHSM2 and
 * {@code SOFTHSM2_CONF}, see there), a provider on it with {@value #SESSIONS} pooled sessions, one
 * key pair of {@link #keySize} bits generated inside the token with {@code Pkcs11KeyManager}, and
 * one random 32-byte data key wrapped under it. Set-up checks that unwrap returns that data key and
 * prints one line saying which unwrap path the token takes.
 *
 * <p><b>Measured</b>: {@code provider.unwrap(wrapped)} of that one wrapped key, whose result is
 * destroyed at once: a session from the pool, {@code C_DecryptInit} and {@code C_Decrypt} with the
 * private key in the token, and the provider's checks around them (the key version's handle is
 * cached after the first call, so there is no object search). Wrap (a public-key operation in
 * software) is not measured.
 *
 * <p><b>Unwrap path.</b> With the default {@link OaepFallback#RAW_RSA_WITH_SOFTWARE_OAEP} the key is
 * wrapped with RSA-OAEP-256. A token that decrypts {@code CKM_RSA_PKCS_OAEP} with SHA-256 does the
 * whole unwrap; SoftHSM 2.6.1 implements OAEP with SHA-1 only, so on it the provider runs raw RSA
 * ({@code CKM_RSA_X_509}) in the token and decodes the OAEP-SHA-256 padding in software (constant
 * time). The parameter {@link #oaepFallback} set to {@code NATIVE_OAEP_SHA1} measures the other
 * choice: wraps with RSA-OAEP (SHA-1), which SoftHSM decrypts natively.
 *
 * <p><b>Threads.</b> {@code unwrap_1thread} and {@code unwrap_2threads} are the same operation with
 * {@link Threads} 1 and 2; JMH's {@code -t} would override both, so do not pass it. With two threads
 * the score is the sum over both; their ratio to one thread is the scaling of the session pool, at
 * most the number of cores the token's RSA can use.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Pkcs11UnwrapBenchmark {
  /**
   * Pooled sessions: more than the threads of either benchmark, so that no thread waits for a
   * session and the pool's limit is not what is measured.
   */
  static final int SESSIONS = 4;

  /** RSA modulus bits of the key-encryption key. */
  @Param({"2048", "3072"})
  public int keySize;

  /** The provider's {@link OaepFallback}; the default measures the provider's default. */
  @Param({"RAW_RSA_WITH_SOFTWARE_OAEP"})
  public String oaepFallback;

  private SoftHsmToken token;
  private Pkcs11KeyProvider provider;
  private WrappedKey wrapped;

  /**
   * Makes the token, the key and the wrapped data key, and checks that unwrap returns the data key.
   *
   * @throws IllegalStateException if SoftHSM2 is not installed, {@code SOFTHSM2_CONF} is not set,
   *     or unwrap does not return the data key that was wrapped
   */
  @Setup(Level.Trial)
  public void setUp() {
    OaepFallback fallback = OaepFallback.valueOf(oaepFallback);
    token = SoftHsmToken.create("cmk-bench-" + keySize);
    try {
      provider =
          Pkcs11KeyProvider.builder()
              .library(SoftHsmToken.library())
              .tokenLabel(token.label())
              .pin(token.pin())
              .oaepFallback(fallback)
              .maxSessions(SESSIONS)
              .build();
      KeyReference key = provider.manager().createKey("unwrap-bench", keySize);
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      SecretBytes dataKey = SecretBytes.wrapOwned(random);
      wrapped = provider.wrap(key, dataKey);
      SecretBytes back = provider.unwrap(wrapped);
      boolean same = back.equals(dataKey);
      back.destroy();
      dataKey.destroy();
      if (!same) {
        throw new IllegalStateException("set-up: unwrap did not return the wrapped data key");
      }
      System.out.println(
          "pkcs11 set-up: SoftHSM "
              + token.version()
              + ", RSA-"
              + keySize
              + ", "
              + SESSIONS
              + " sessions, fallback "
              + fallback
              + ", wrap "
              + wrapped.algorithm().jwaName()
              + ", unwrap path: "
              + unwrapPath(fallback, wrapped.algorithm(), nativeOaep256(key)));
    } catch (RuntimeException e) {
      tearDown();
      throw e;
    }
  }

  /**
   * Whether the token decrypts RSA-OAEP-256 natively, found with the public API only: a provider
   * whose fallback is {@link OaepFallback#NATIVE_OAEP_SHA1} wraps with RSA-OAEP-256 exactly when
   * its probe (mechanism info and a trial decryption in the token) found native support.
   */
  private boolean nativeOaep256(KeyReference key) {
    try (Pkcs11KeyProvider probe =
        Pkcs11KeyProvider.builder()
            .library(SoftHsmToken.library())
            .tokenLabel(token.label())
            .pin(token.pin())
            .oaepFallback(OaepFallback.NATIVE_OAEP_SHA1)
            .maxSessions(1)
            .build()) {
      SecretBytes sample = SecretBytes.wrapOwned(new byte[32]);
      try {
        return probe.wrap(key, sample).algorithm() == WrapAlgorithm.RSA_OAEP_256;
      } finally {
        sample.destroy();
      }
    }
  }

  private static String unwrapPath(OaepFallback fallback, WrapAlgorithm wrap, boolean nativeOaep256) {
    if (wrap == WrapAlgorithm.RSA_OAEP_256) {
      return nativeOaep256
          ? "native CKM_RSA_PKCS_OAEP with SHA-256 in the token"
          : "raw RSA (CKM_RSA_X_509) in the token + OAEP-SHA-256 decoded in software"
              + " (the token has no native RSA-OAEP-256)";
    }
    // NATIVE_OAEP_SHA1 on a token without OAEP-256: the provider's own INFO line says whether the
    // token decrypts SHA-1 OAEP natively (SoftHSM does).
    return "CKM_RSA_PKCS_OAEP with SHA-1 (fallback " + fallback + "; the token has no native"
        + " RSA-OAEP-256)";
  }

  /** Closes the provider (its sessions and the library) and deletes the token. */
  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      if (provider != null) {
        provider.close();
      }
    } finally {
      provider = null;
      if (token != null) {
        token.close();
        token = null;
      }
    }
  }

  /**
   * One unwrap on one thread.
   *
   * @return the data key's length (32)
   */
  @Benchmark
  @Threads(1)
  public int unwrap_1thread() {
    return unwrapOnce();
  }

  /**
   * One unwrap, called on each of two threads sharing the provider.
   *
   * @return the data key's length (32)
   */
  @Benchmark
  @Threads(2)
  public int unwrap_2threads() {
    return unwrapOnce();
  }

  private int unwrapOnce() {
    SecretBytes dataKey = provider.unwrap(wrapped);
    int length = dataKey.length();
    dataKey.destroy();
    return length;
  }
}
