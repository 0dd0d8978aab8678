package dev.cmk.benchmarks.peers;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.google.crypto.tink.Aead;
import dev.cmk.benchmarks.RawGcm;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Two threads sharing one instance of each library (a server's request threads), each doing a 1
 * KiB round trip (encrypt then decrypt) with a warm cache; the score is both threads' total.
 * The JDK ceiling's {@code Cipher} is not thread-safe, so it has one per thread.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PeerThreadsBenchmark {
  private static final int SIZE = 1024;
  private static final byte[] PLAINTEXT = Peers.plaintext(SIZE);

  /** The shared instances. */
  @State(Scope.Benchmark)
  public static class Shared {
    EnvelopeCrypto cmk;
    Aead tinkKeyset;
    AwsCrypto aws;
    CryptoMaterialsManager awsCaching;

    /** Builds them and checks one round trip of each. */
    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
      Peers.warmJdkGcm(SIZE);
      cmk = Peers.cmk();
      tinkKeyset = Peers.tinkKeysetAead();
      aws = Peers.awsCrypto();
      awsCaching = Peers.awsCaching(Peers.awsMasterKey(Peers.rsaKeyPair()), 1L << 20);
      if (!Arrays.equals(cmk.decrypt(cmk.encrypt(PLAINTEXT, Peers.AAD), Peers.AAD), PLAINTEXT)
          || !Arrays.equals(
              tinkKeyset.decrypt(tinkKeyset.encrypt(PLAINTEXT, Peers.AAD), Peers.AAD), PLAINTEXT)) {
        throw new IllegalStateException("set-up round trip failed");
      }
      RawGcm jdk = new RawGcm(new SecureRandom());
      Peers.warm(Peers.FAST_WARM_UP, () -> cmk.decrypt(cmk.encrypt(PLAINTEXT, Peers.AAD), Peers.AAD));
      Peers.warm(Peers.FAST_WARM_UP, () -> jdk.open(jdk.seal(PLAINTEXT, Peers.AAD), Peers.AAD));
      Peers.warm(
          Peers.FAST_WARM_UP,
          () -> tinkKeyset.decrypt(tinkKeyset.encrypt(PLAINTEXT, Peers.AAD), Peers.AAD));
      Peers.warm(
          Peers.SLOW_WARM_UP,
          () ->
              aws.decryptData(awsCaching, aws.encryptData(awsCaching, PLAINTEXT, Peers.CONTEXT).getResult())
                  .getResult());
    }

    /** Destroys cmk's cached data keys. */
    @TearDown(Level.Trial)
    public void tearDown() {
      cmk.close();
    }
  }

  /** The JDK ceiling, one per thread. */
  @State(Scope.Thread)
  public static class PerThread {
    RawGcm jdk;

    /** Builds it. */
    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
      jdk = new RawGcm(new SecureRandom());
    }
  }

  @Benchmark
  public byte[] cmkRoundTrip(Shared s) {
    return s.cmk.decrypt(s.cmk.encrypt(PLAINTEXT, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] jdkRoundTrip(PerThread t) throws GeneralSecurityException {
    return t.jdk.open(t.jdk.seal(PLAINTEXT, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] tinkKeysetRoundTrip(Shared s) throws GeneralSecurityException {
    return s.tinkKeyset.decrypt(s.tinkKeyset.encrypt(PLAINTEXT, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] awsCachingRoundTrip(Shared s) {
    byte[] m = s.aws.encryptData(s.awsCaching, PLAINTEXT, Peers.CONTEXT).getResult();
    return s.aws.decryptData(s.awsCaching, m).getResult();
  }
}
