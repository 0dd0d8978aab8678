package dev.cmk.benchmarks.formatv2;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.cmk.api.KeyReference;
import dev.cmk.benchmarks.PeerRun;
import dev.cmk.benchmarks.RawGcm;
import dev.cmk.benchmarks.SetUpCheck;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One-shot round trips of small messages (default 1 KiB), all in one JMH run so their ratios
 * hold: cmk format 1, cmk format 2 (data-key store in memory: after the first envelope the store
 * is not touched), Tink's AES256_GCM keyset {@code Aead} (the fastest small-message peer: a 5-byte
 * prefix, key id → key), and two raw JDK AES-GCM baselines that differ only in where the nonce
 * comes from: a {@link SecureRandom} per message ({@link RawGcm}, the suite's old "ceiling") and
 * a counter (no random source at all: the ceiling of any construction that needs no per-message
 * randomness, as cmk's counters do).
 *
 * <pre>
 * java -jar cmk-benchmarks/target/benchmarks.jar formatv2.SmallMessageBenchmark
 * </pre>
 */
public class SmallMessageBenchmark extends PeerRun {
  private static final byte[] AAD =
      "resourceType=Patient,id=123,version=1".getBytes(StandardCharsets.UTF_8);

  /** Plaintext bytes per message. */
  @Param({"1024"})
  public int size;

  private byte[] plaintext;
  private EnvelopeCrypto v1;
  private EnvelopeCrypto v2;
  private Aead tink;
  private RawGcm randomNonce;
  private CounterNonceGcm counterNonce;

  /** Builds every side and warms each with 30,000 round trips (see {@code Peers.warm}). */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    AeadConfig.register();
    plaintext = new byte[size];
    SplittableRandom r = new SplittableRandom(size);
    for (int i = 0; i < size; i++) {
      plaintext[i] = (byte) r.nextInt();
    }
    InMemoryKeyProvider keys = InMemoryKeyProvider.builder().build();
    KeyReference key = keys.manager().createKey("bench", 2048);
    v1 = EnvelopeCrypto.builder().provider(keys).writeKey(key).build();
    v2 = EnvelopeCrypto.builder().provider(keys).writeKey(key)
        .dataKeyStore(new InMemoryDataKeyStore()).build();
    tink = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
    randomNonce = new RawGcm(new SecureRandom());
    counterNonce = new CounterNonceGcm();
    for (int i = 0; i < 30_000; i++) {
      SetUpCheck.roundTrip(cmkV1RoundTrip(), plaintext);
      SetUpCheck.roundTrip(cmkV2RoundTrip(), plaintext);
      SetUpCheck.roundTrip(tinkKeysetRoundTrip(), plaintext);
      SetUpCheck.roundTrip(jdkRandomNonceRoundTrip(), plaintext);
      SetUpCheck.roundTrip(jdkCounterNonceRoundTrip(), plaintext);
    }
  }

  /** Destroys cmk's cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    v1.close();
    v2.close();
  }

  /** cmk, format 1 (the wrapped data key in every header). */
  @Benchmark
  public byte[] cmkV1RoundTrip() {
    return v1.decrypt(v1.encrypt(plaintext, AAD), AAD);
  }

  /** cmk, format 2 (48-byte header naming a data-key record). */
  @Benchmark
  public byte[] cmkV2RoundTrip() {
    return v2.decrypt(v2.encrypt(plaintext, AAD), AAD);
  }

  /** Tink AES256_GCM keyset. */
  @Benchmark
  public byte[] tinkKeysetRoundTrip() throws GeneralSecurityException {
    return tink.decrypt(tink.encrypt(plaintext, AAD), AAD);
  }

  /** Raw JDK AES-GCM, a random nonce per message. */
  @Benchmark
  public byte[] jdkRandomNonceRoundTrip() throws GeneralSecurityException {
    return randomNonce.open(randomNonce.seal(plaintext, AAD), AAD);
  }

  /** Raw JDK AES-GCM, a counter nonce per message: no random source. */
  @Benchmark
  public byte[] jdkCounterNonceRoundTrip() throws GeneralSecurityException {
    return counterNonce.open(counterNonce.seal(plaintext, AAD), AAD);
  }

  /** {@code nonce(12) || ciphertext || tag}, the nonce a per-instance counter. */
  static final class CounterNonceGcm {
    private final SecretKeySpec key;
    private final Cipher cipher;
    private long counter;

    CounterNonceGcm() throws GeneralSecurityException {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      key = new SecretKeySpec(raw, "AES");
      cipher = Cipher.getInstance("AES/GCM/NoPadding");
    }

    byte[] seal(byte[] plaintext, byte[] aad) throws GeneralSecurityException {
      byte[] out = new byte[12 + plaintext.length + 16];
      long n = ++counter;
      for (int i = 11; i >= 4; i--) {
        out[i] = (byte) n;
        n >>>= 8;
      }
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, out, 0, 12));
      cipher.updateAAD(aad);
      cipher.doFinal(plaintext, 0, plaintext.length, out, 12);
      return out;
    }

    byte[] open(byte[] message, byte[] aad) throws GeneralSecurityException {
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, message, 0, 12));
      cipher.updateAAD(aad);
      byte[] out = new byte[message.length - 28];
      cipher.doFinal(message, 12, message.length - 12, out, 0);
      return out;
    }
  }
}
