package dev.cmk.benchmarks.peers;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.CachingCryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.LocalCryptoMaterialsCache;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.KmsEnvelopeAead;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * How each library is set up for the benchmarks: what a user of that library would write for
 * envelope encryption under a local RSA-2048 key-encryption key (KEK).
 *
 * <ul>
 *   <li><b>cmk</b>: {@link EnvelopeCrypto} over cmk-testkit's {@link InMemoryKeyProvider}
 *       (RSA-OAEP-256 wrap), default settings: data keys are reused and cached, so the warm path
 *       makes no RSA call.
 *   <li><b>Tink envelope</b>: {@link KmsEnvelopeAead} with an AES256_GCM data key per message and,
 *       as its "remote" AEAD, {@link RsaOaepKek} — the KEK an application plugs in when its key is
 *       a local RSA key (Tink has no RSA AEAD of its own). Every encrypt makes a data key and an RSA
 *       public-key wrap; every decrypt an RSA private-key unwrap. Tink offers no data-key reuse or
 *       cache for this primitive.
 *   <li><b>Tink keyset</b>: the AES256_GCM keyset's {@link Aead} used directly (the keyset unwrapped
 *       once, as a Tink user holding the keyset in memory would do): Tink's equivalent of cmk's warm
 *       cache, with no envelope, no header and no key commitment.
 *   <li><b>Tink StreamingAead</b>: AES256_GCM_HKDF_1MB keyset, for streaming and range reads.
 *   <li><b>AWS ESDK</b>: {@link AwsCrypto} with its default commitment policy
 *       (REQUIRE_ENCRYPT_REQUIRE_DECRYPT, hence the default suite
 *       AES-256-GCM-HKDF-SHA512-COMMIT-KEY-ECDSA-P384, which signs every message) and a {@link
 *       JceMasterKey} RSA-OAEP-256 master key; with the default materials manager (one RSA call
 *       per message) or a {@link CachingCryptoMaterialsManager} over a {@link
 *       LocalCryptoMaterialsCache}. The associated data goes in as the encryption context.
 *   <li><b>JDK</b>: {@link dev.cmk.benchmarks.RawGcm}, one AES-256 key, no envelope — the ceiling.
 * </ul>
 */
final class Peers {
  /** Associated data of every message (a FHIR resource's identity). */
  static final byte[] AAD = "resourceType=Patient,id=123,version=1".getBytes(StandardCharsets.UTF_8);

  /** The same associated data as an AWS ESDK encryption context. */
  static final Map<String, String> CONTEXT = Map.of("resource", "Patient/123/_history/1");

  /** RSA-OAEP with SHA-256 and MGF1-SHA-256, the JCE name the ESDK's JceMasterKey takes. */
  static final String OAEP = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding";

  static {
    try {
      AeadConfig.register();
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Peers() {}

  /** An RSA-2048 key pair for a KEK. */
  static KeyPair rsaKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048, new SecureRandom());
    return g.generateKeyPair();
  }

  /** cmk over {@code provider}, writing under a fresh RSA-2048 key, with the given limits. */
  static EnvelopeCrypto cmk(InMemoryKeyProvider provider, DataKeyLimits limits) {
    KeyReference key = provider.createKey("bench", 2048);
    return EnvelopeCrypto.builder().provider(provider).writeKey(key).dataKeyLimits(limits).build();
  }

  /** cmk with default settings over a new in-memory provider. */
  static EnvelopeCrypto cmk() {
    return cmk(InMemoryKeyProvider.builder().build(), DataKeyLimits.DEFAULT);
  }

  /** Tink's AES256_GCM keyset primitive (no envelope). */
  static Aead tinkKeysetAead() throws GeneralSecurityException {
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  /** Tink's envelope AEAD: an AES256_GCM data key per message wrapped by {@code kek}. */
  static Aead tinkEnvelope(Aead kek) throws GeneralSecurityException {
    return KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM, kek);
  }

  /** Tink's AES256_GCM_HKDF_1MB streaming primitive. */
  static StreamingAead tinkStreaming() throws GeneralSecurityException {
    return KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB)
        .getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
  }

  /** The AWS ESDK client with its defaults (commitment policy, algorithm suite, 4 KiB frames). */
  static AwsCrypto awsCrypto() {
    return AwsCrypto.builder().build();
  }

  /** An ESDK raw-RSA master key (RSA-OAEP-256) over {@code pair}. */
  static JceMasterKey awsMasterKey(KeyPair pair) {
    return JceMasterKey.getInstance(pair.getPublic(), pair.getPrivate(), "bench", "rsa-kek", OAEP);
  }

  /**
   * An ESDK caching materials manager over {@code provider}: a local cache of 100 entries, entries
   * kept for 1 hour and used for up to {@code messagesPerKey} messages (cmk's defaults are 1 hour
   * and 2^20 messages).
   */
  static CryptoMaterialsManager awsCaching(
      com.amazonaws.encryptionsdk.MasterKeyProvider<?> provider, long messagesPerKey) {
    return CachingCryptoMaterialsManager.newBuilder()
        .withMasterKeyProvider(provider)
        .withCache(new LocalCryptoMaterialsCache(100))
        .withMaxAge(1, TimeUnit.HOURS)
        .withMessageUseLimit(messagesPerKey)
        .build();
  }

  /** One round trip of a library under test, for {@link #warm}. */
  @FunctionalInterface
  interface RoundTrip {
    byte[] run() throws GeneralSecurityException;
  }

  /**
   * Runs {@code roundTrip} {@code times} times before JMH's warm-up starts, so that every library
   * has its code compiled by C2 whatever the load of the machine (on 2 busy cores the compiler
   * threads lag, and one-second warm-up iterations would measure the compilation). Every library
   * gets the same treatment: fast ones {@value #FAST_WARM_UP} round trips, ones that make an RSA
   * or ECDSA call per message {@value #SLOW_WARM_UP}.
   */
  static void warm(int times, RoundTrip roundTrip) throws GeneralSecurityException {
    for (int i = 0; i < times; i++) {
      if (roundTrip.run().length < 0) {
        throw new IllegalStateException();
      }
    }
  }

  /** Warm-up round trips for libraries without a per-message public-key operation. */
  static final int FAST_WARM_UP = 30_000;

  /** Warm-up round trips for libraries with a per-message public-key operation. */
  static final int SLOW_WARM_UP = 300;

  /** {@code size} pseudo-random bytes, the same for a given size on every run. */
  static byte[] plaintext(int size) {
    byte[] b = new byte[size];
    SplittableRandom random = new SplittableRandom(size);
    for (int i = 0; i < size; i++) {
      b[i] = (byte) random.nextInt();
    }
    return b;
  }

  /**
   * Gets the JDK's AES-GCM compiled before JMH's warm-up starts: HotSpot compiles by call count,
   * and the GCM intrinsics only pay off once their callers are compiled, which one-second warm-up
   * iterations of large messages would not reach. Runs the cipher at each size the benchmark uses,
   * which helps every library alike (all of them use the JDK's AES-GCM).
   */
  static void warmJdkGcm(int... sizes) throws GeneralSecurityException {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    SecretKeySpec key = new SecretKeySpec(raw, "AES");
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    byte[] nonce = new byte[12];
    int[] all = new int[sizes.length + 2];
    all[0] = 1024;
    all[1] = 16 << 10;
    System.arraycopy(sizes, 0, all, 2, sizes.length);
    for (int size : all) {
      byte[] in = new byte[size];
      byte[] out = new byte[size + 16];
      int rounds = size <= (16 << 10) ? 20_000 : 1_000;
      for (int r = 0; r < rounds; r++) {
        nonce[0] = (byte) r;
        nonce[1] = (byte) (r >>> 8);
        nonce[2]++;
        c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        c.doFinal(in, 0, size, out, 0);
        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        c.doFinal(out, 0, size + 16, in, 0);
      }
    }
  }
}
