package dev.cmk.benchmarks;

import dev.cmk.core.EnvelopeCrypto;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One-shot {@code byte[]} messages: cmk envelopes (warm data-key cache, default 64 KiB segments)
 * against raw JDK AES-GCM messages of the same size ({@link RawGcm#seal}/{@link RawGcm#open}).
 *
 * <p>With {@code impl=cmk} the benchmarks run {@link EnvelopeCrypto#encrypt}/{@link
 * EnvelopeCrypto#decrypt} with the same associated data as the baseline ({@code impl=gcm}). The data key is made and wrapped once in set-up (which also
 * seeds the decrypt-side cache), so the measured path has no RSA and no provider call: per message
 * it is the envelope header (with its nonce prefix), the header's commitment HMAC (from a cached
 * state), a data-key cache lookup on decrypt, and AES-GCM per segment under the data key's body
 * key. {@code roundTrip} encrypts then decrypts one message.
 */
public class OneShotBenchmark extends SuiteRun {
  /** Plaintext bytes per message: 1 KiB (a FHIR resource) and 1 MiB. */
  @Param({"1024", "1048576"})
  public int size;

  /**
   * Which side runs: {@code cmk} or the {@code gcm} baseline. A parameter rather than separate
   * methods so that JMH runs the two sides of a pair back to back, which keeps a change of machine
   * load between them from skewing their ratio.
   */
  @Param({"cmk", "gcm"})
  public String impl;

  /**
   * Distinct messages {@code decrypt} cycles through, so that no per-message state (a header, a
   * nonce) can be reused from the previous call; they share one data key, as envelopes written
   * together do.
   */
  static final int MESSAGES = 16;

  private boolean onCmk;

  private EnvelopeCrypto cmk;
  private RawGcm gcm;
  private byte[] plaintext;
  private final byte[][] envelopes = new byte[MESSAGES][];
  private final byte[][] gcmMessages = new byte[MESSAGES][];
  private int next;

  /**
   * Builds both sides, makes {@value #MESSAGES} messages of each, and checks that they all
   * decrypt to the plaintext (a benchmark of a broken path would be worthless).
   */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    JitWarmUp.jdkGcm(Math.min(size, EnvelopeCrypto.DEFAULT_SEGMENT_SIZE), size);
    onCmk = switch (impl) {
      case "cmk" -> true;
      case "gcm" -> false;
      default -> throw new IllegalArgumentException("impl must be cmk or gcm: " + impl);
    };
    cmk = Fixtures.envelopeCrypto(EnvelopeCrypto.DEFAULT_SEGMENT_SIZE);
    gcm = new RawGcm(new SecureRandom());
    plaintext = Fixtures.plaintext(size);
    for (int i = 0; i < MESSAGES; i++) {
      envelopes[i] = cmk.encrypt(plaintext, Fixtures.AAD);
      gcmMessages[i] = gcm.seal(plaintext, Fixtures.AAD);
      SetUpCheck.roundTrip(cmk.decrypt(envelopes[i], Fixtures.AAD), plaintext);
      SetUpCheck.roundTrip(gcm.open(gcmMessages[i], Fixtures.AAD), plaintext);
    }
    if (cmk.diagnostics().dataKeysCreated() != 1) {
      throw new IllegalStateException("set-up made more than one data key");
    }
  }

  /** Destroys the cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    cmk.close();
  }

  /** One message. */
  @Benchmark
  public byte[] encrypt() throws GeneralSecurityException {
    return onCmk ? cmk.encrypt(plaintext, Fixtures.AAD) : gcm.seal(plaintext, Fixtures.AAD);
  }

  /** Opens one message (the next of {@value #MESSAGES}, all under the same data key). */
  @Benchmark
  public byte[] decrypt() throws GeneralSecurityException {
    int i = next;
    next = (i + 1) % MESSAGES;
    return onCmk ? cmk.decrypt(envelopes[i], Fixtures.AAD) : gcm.open(gcmMessages[i], Fixtures.AAD);
  }

  /** Encrypts one message, then decrypts it. */
  @Benchmark
  public byte[] roundTrip() throws GeneralSecurityException {
    return onCmk
        ? cmk.decrypt(cmk.encrypt(plaintext, Fixtures.AAD), Fixtures.AAD)
        : gcm.open(gcm.seal(plaintext, Fixtures.AAD), Fixtures.AAD);
  }
}
