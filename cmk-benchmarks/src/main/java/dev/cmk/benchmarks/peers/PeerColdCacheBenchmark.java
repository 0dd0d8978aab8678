package dev.cmk.benchmarks.peers;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.google.crypto.tink.Aead;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.Operation;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decrypting {@value #MESSAGES} stored 1 KiB envelopes that share {@value #DATA_KEYS} data keys,
 * starting from a cold cache (a service that just started, reading what it wrote before): time
 * per batch, and the KEK unwraps it made, reported by the {@code unwraps} counter.
 *
 * <p>The corpus is written once per trial with {@value #MESSAGES_PER_KEY} messages per data key
 * (cmk's {@link DataKeyLimits}, the ESDK caching CMM's message-use limit); each operation builds a
 * new reader (cmk: a new {@link EnvelopeCrypto} over the same provider; ESDK: a new caching CMM
 * over a new {@code LocalCryptoMaterialsCache}) and decrypts all of them. Tink's {@code
 * KmsEnvelopeAead} has no data-key reuse, so its corpus has one data key per message and one
 * unwrap per message: that is the work a Tink user's service does for the same reads.
 *
 * <p>Single-shot mode: one operation is the whole batch of {@value #MESSAGES} decryptions.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PeerColdCacheBenchmark {
  /** Envelopes per batch. */
  public static final int MESSAGES = 10_000;

  /** Distinct data keys among them. */
  public static final int DATA_KEYS = 10;

  /** Envelopes per data key. */
  public static final int MESSAGES_PER_KEY = MESSAGES / DATA_KEYS;

  private static final int SIZE = 1024;

  /** KEK unwraps (RSA private-key operations) made by one operation. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Unwraps {
    /** Unwraps in this iteration. */
    public long unwraps;

    /** Zeroes the counter. */
    @Setup(Level.Iteration)
    public void reset() {
      unwraps = 0;
    }
  }

  /** cmk: the corpus, the provider, and a new cold reader per operation. */
  @State(Scope.Thread)
  public static class CmkCorpus {
    InMemoryKeyProvider provider;
    /** The provider the readers use: counts their unwraps. */
    FaultInjectingProvider counted;
    KeyReference key;
    byte[][] envelopes;
    EnvelopeCrypto reader;
    long unwrapsBefore;

    /** Writes the corpus and checks it has exactly {@value #DATA_KEYS} data keys. */
    @Setup(Level.Trial)
    public void write() throws GeneralSecurityException {
      Peers.warmJdkGcm(SIZE);
      provider = InMemoryKeyProvider.builder().build();
      counted = FaultInjectingProvider.wrapping(provider);
      key = provider.createKey("bench", 2048);
      byte[] plaintext = Peers.plaintext(SIZE);
      try (EnvelopeCrypto writer =
          EnvelopeCrypto.builder()
              .provider(provider)
              .writeKey(key)
              .dataKeyLimits(new DataKeyLimits(MESSAGES_PER_KEY, Long.MAX_VALUE, Duration.ofHours(1)))
              .build()) {
        envelopes = new byte[MESSAGES][];
        for (int i = 0; i < MESSAGES; i++) {
          envelopes[i] = writer.encrypt(plaintext, Peers.AAD);
        }
        if (writer.diagnostics().dataKeysCreated() != DATA_KEYS) {
          throw new IllegalStateException("cmk corpus has " + writer.diagnostics().dataKeysCreated() + " keys");
        }
      }
    }

    /** A new reader with an empty data-key cache. */
    @Setup(Level.Invocation)
    public void coldReader() {
      reader = EnvelopeCrypto.builder().provider(counted).writeKey(key).build();
      unwrapsBefore = counted.count(Operation.UNWRAP);
    }

    /** Destroys the reader's cached keys. */
    @TearDown(Level.Invocation)
    public void closeReader() {
      reader.close();
    }
  }

  /** AWS ESDK: the corpus, the counting master key, and a new caching CMM per operation. */
  @State(Scope.Thread)
  public static class AwsCorpus {
    AwsCrypto aws;
    CountingMasterKeyProvider provider;
    byte[][] messages;
    CryptoMaterialsManager reader;
    long unwrapsBefore;

    /** Writes the corpus through a caching CMM that reuses a data key for 1,000 messages. */
    @Setup(Level.Trial)
    public void write() throws GeneralSecurityException {
      Peers.warmJdkGcm(SIZE);
      aws = Peers.awsCrypto();
      provider = new CountingMasterKeyProvider(Peers.awsMasterKey(Peers.rsaKeyPair()));
      CryptoMaterialsManager writer = Peers.awsCaching(provider, MESSAGES_PER_KEY);
      byte[] plaintext = Peers.plaintext(SIZE);
      messages = new byte[MESSAGES][];
      for (int i = 0; i < MESSAGES; i++) {
        messages[i] = aws.encryptData(writer, plaintext, Peers.CONTEXT).getResult();
      }
      if (!Arrays.equals(aws.decryptData(provider, messages[0]).getResult(), plaintext)) {
        throw new IllegalStateException("set-up round trip failed");
      }
    }

    /** A new caching CMM over a new, empty cache. */
    @Setup(Level.Invocation)
    public void coldReader() {
      reader = Peers.awsCaching(provider, MESSAGES_PER_KEY);
      unwrapsBefore = provider.unwraps();
    }
  }

  /** Tink: the corpus (one data key per message) and the counting RSA KEK. */
  @State(Scope.Thread)
  public static class TinkCorpus {
    RsaOaepKek kek;
    Aead envelope;
    byte[][] messages;
    long unwrapsBefore;

    /** Writes the corpus. */
    @Setup(Level.Trial)
    public void write() throws GeneralSecurityException {
      Peers.warmJdkGcm(SIZE);
      kek = new RsaOaepKek(Peers.rsaKeyPair());
      envelope = Peers.tinkEnvelope(kek);
      byte[] plaintext = Peers.plaintext(SIZE);
      messages = new byte[MESSAGES][];
      for (int i = 0; i < MESSAGES; i++) {
        messages[i] = envelope.encrypt(plaintext, Peers.AAD);
      }
    }

    /** Notes the unwrap count. */
    @Setup(Level.Invocation)
    public void mark() {
      unwrapsBefore = kek.unwraps();
    }
  }

  /**
   * cmk: decrypts every envelope with a cold reader; must make exactly {@value #DATA_KEYS} unwraps.
   */
  @Benchmark
  public long cmkColdDecrypt(CmkCorpus corpus, Unwraps counter) {
    long bytes = 0;
    for (byte[] envelope : corpus.envelopes) {
      bytes += corpus.reader.decrypt(envelope, Peers.AAD).length;
    }
    long unwraps = corpus.counted.count(Operation.UNWRAP) - corpus.unwrapsBefore;
    if (unwraps != DATA_KEYS) {
      throw new IllegalStateException("cmk made " + unwraps + " unwraps, expected " + DATA_KEYS);
    }
    counter.unwraps += unwraps;
    return bytes;
  }

  /** AWS ESDK with a cold caching CMM. */
  @Benchmark
  public long awsCachingColdDecrypt(AwsCorpus corpus, Unwraps counter) {
    long bytes = 0;
    for (byte[] message : corpus.messages) {
      bytes += corpus.aws.decryptData(corpus.reader, message).getResult().length;
    }
    counter.unwraps += corpus.provider.unwraps() - corpus.unwrapsBefore;
    return bytes;
  }

  /** Tink's envelope AEAD (no data-key cache exists for it). */
  @Benchmark
  public long tinkEnvelopeColdDecrypt(TinkCorpus corpus, Unwraps counter)
      throws GeneralSecurityException {
    long bytes = 0;
    for (byte[] message : corpus.messages) {
      bytes += corpus.envelope.decrypt(message, Peers.AAD).length;
    }
    counter.unwraps += corpus.kek.unwraps() - corpus.unwrapsBefore;
    return bytes;
  }
}
