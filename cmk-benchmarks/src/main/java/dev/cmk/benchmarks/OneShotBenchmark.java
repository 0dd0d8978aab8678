package dev.cmk.benchmarks;

import dev.cmk.core.EnvelopeCrypto;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One-shot {@code byte[]} messages: cmk envelopes (warm data-key cache, default 64 KiB segments)
 * against raw JDK AES-GCM messages of the same size ({@link RawGcm#seal}/{@link RawGcm#open}).
 *
 * <p>{@code cmk*} runs {@link EnvelopeCrypto#encrypt}/{@link EnvelopeCrypto#decrypt} with the
 * same associated data as the baseline. The data key is made and wrapped once in set-up (which also
 * seeds the decrypt-side cache), so the measured path has no RSA and no provider call: per message
 * it is a random 256-bit salt, HKDF-SHA256, the header's commitment HMAC, the envelope header, and
 * AES-GCM per segment. {@code *RoundTrip} encrypts then decrypts one message.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class OneShotBenchmark {
  /** Plaintext bytes per message: 1 KiB (a FHIR resource) and 1 MiB. */
  @Param({"1024", "1048576"})
  public int size;

  private EnvelopeCrypto cmk;
  private RawGcm gcm;
  private byte[] plaintext;
  private byte[] envelope;
  private byte[] gcmMessage;

  /**
   * Builds both sides, makes one message of each, and checks that both decrypt to the plaintext
   * (a benchmark of a broken path would be worthless).
   */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    JitWarmUp.jdkGcm(Math.min(size, EnvelopeCrypto.DEFAULT_SEGMENT_SIZE), size);
    cmk = Fixtures.envelopeCrypto(EnvelopeCrypto.DEFAULT_SEGMENT_SIZE);
    gcm = new RawGcm(new SecureRandom());
    plaintext = Fixtures.plaintext(size);
    envelope = cmk.encrypt(plaintext, Fixtures.AAD);
    gcmMessage = gcm.seal(plaintext, Fixtures.AAD);
    if (!Arrays.equals(cmk.decrypt(envelope, Fixtures.AAD), plaintext)
        || !Arrays.equals(gcm.open(gcmMessage, Fixtures.AAD), plaintext)
        || cmk.dataKeysCreated() != 1) {
      throw new IllegalStateException("set-up round trip failed");
    }
  }

  /** Destroys the cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    cmk.close();
  }

  /** cmk: one envelope. */
  @Benchmark
  public byte[] cmkEncrypt() {
    return cmk.encrypt(plaintext, Fixtures.AAD);
  }

  /** cmk: open one envelope. */
  @Benchmark
  public byte[] cmkDecrypt() {
    return cmk.decrypt(envelope, Fixtures.AAD);
  }

  /** cmk: encrypt then decrypt one message. */
  @Benchmark
  public byte[] cmkRoundTrip() {
    return cmk.decrypt(cmk.encrypt(plaintext, Fixtures.AAD), Fixtures.AAD);
  }

  /** Baseline: one raw AES-GCM message. */
  @Benchmark
  public byte[] gcmEncrypt() throws GeneralSecurityException {
    return gcm.seal(plaintext, Fixtures.AAD);
  }

  /** Baseline: open one raw AES-GCM message. */
  @Benchmark
  public byte[] gcmDecrypt() throws GeneralSecurityException {
    return gcm.open(gcmMessage, Fixtures.AAD);
  }

  /** Baseline: encrypt then decrypt one raw AES-GCM message. */
  @Benchmark
  public byte[] gcmRoundTrip() throws GeneralSecurityException {
    return gcm.open(gcm.seal(plaintext, Fixtures.AAD), Fixtures.AAD);
  }
}
