package dev.cmk.benchmarks.formatv2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.KmsEnvelopeAead;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.cmk.api.KeyReference;
import dev.cmk.core.DataKeyLimits;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import org.junit.jupiter.api.Test;

/**
 * The counted (not timed) measurements of issue #15: bytes of overhead on a 1 KiB envelope, v2
 * against v1 and the peers; and unwraps to read 100,000 envelopes that 4 writers wrote over 24
 * simulated hours. Each prints its numbers (surefire output) and asserts the claims the README
 * makes about them.
 */
class FormatV2CountsTest {
  private static final byte[] AAD = "Patient/123/1".getBytes(StandardCharsets.UTF_8);

  @Test
  void overhead_ofOneKibibyte_v2IsSixtyFourBytesAndTheSmallest() throws Exception {
    byte[] plaintext = new byte[1024];
    InMemoryKeyProvider keys = InMemoryKeyProvider.builder().build();
    KeyReference key = keys.manager().createKey("overhead", 2048);
    long v1;
    long v2;
    try (EnvelopeCrypto c1 = EnvelopeCrypto.builder().provider(keys).writeKey(key).build();
        EnvelopeCrypto c2 = EnvelopeCrypto.builder().provider(keys).writeKey(key)
            .dataKeyStore(new InMemoryDataKeyStore()).build()) {
      v1 = c1.encrypt(plaintext, AAD).length - 1024L;
      v2 = c2.encrypt(plaintext, AAD).length - 1024L;
    }
    AeadConfig.register();
    KeyPair rsa = rsa2048();
    Aead tinkEnvelope = KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM,
        new OaepKek(rsa));
    long tink = tinkEnvelope.encrypt(plaintext, AAD).length - 1024L;
    JceMasterKey esdkKey = JceMasterKey.getInstance(rsa.getPublic(), rsa.getPrivate(), "bench",
        "rsa-kek", "RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    long esdk = AwsCrypto.builder().build().encryptData(esdkKey, plaintext,
        Map.of("resource", "Patient/123/1")).getResult().length - 1024L;
    System.out.printf("overhead of a 1 KiB envelope (RSA-2048 KEK): cmk v2 %d B, cmk v1 %d B "
        + "(in-memory key reference; Key Vault: 421 B), Tink KmsEnvelopeAead %d B, "
        + "AWS ESDK default suite %d B%n", v2, v1, tink, esdk);
    assertEquals(64, v2);
    assertTrue(v2 < v1 && v2 < tink && v2 < esdk);
  }

  @Test
  void unwrapsToRead_100kEnvelopesOf4WritersOver24Hours_areOnePerRecord() {
    long v1 = unwrapsToRead(1, false);
    long v2 = unwrapsToRead(2, false);
    long v2Shared = unwrapsToRead(2, true);
    System.out.printf("unwraps to read 100,000 envelopes of 4 writers over 24 h (data keys roll "
        + "hourly): v1 %d, v2 %d, v2 with shared records %d%n", v1, v2, v2Shared);
    assertEquals(96, v1, "one per data key: 4 writers x 24 hours");
    assertEquals(96, v2, "one per record");
    assertEquals(24, v2Shared, "writers share each hour's record");
  }

  /** Writes 100,000 envelopes from 4 writers across 24 simulated hours, reads all back. */
  private static long unwrapsToRead(int format, boolean share) {
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-12-07T00:00:30Z"));
    InMemoryKeyProvider keys = InMemoryKeyProvider.builder().clock(clock).build();
    KeyReference key = keys.manager().createKey("fhir", 2048);
    InMemoryDataKeyStore store = new InMemoryDataKeyStore();
    DataKeyLimits hourly = new DataKeyLimits(1 << 20, 1L << 36, Duration.ofHours(1));
    List<EnvelopeCrypto> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      var b = EnvelopeCrypto.builder().provider(keys).writeKey(key).clock(clock)
          .dataKeyLimits(hourly);
      if (format == 2) {
        b.dataKeyStore(store).shareDataKeyRecords(share);
      }
      writers.add(b.build());
    }
    List<byte[]> envelopes = new ArrayList<>(100_000);
    byte[] plaintext = new byte[64];
    Duration step = Duration.ofMillis(24L * 3600 * 1000 / 25_000); // 25,000 rounds in 24 h
    for (int round = 0; round < 25_000; round++) {
      for (EnvelopeCrypto w : writers) {
        envelopes.add(w.encrypt(plaintext, AAD));
      }
      clock.advance(step);
    }
    writers.forEach(EnvelopeCrypto::close);
    FaultInjectingProvider counted = FaultInjectingProvider.wrapping(keys);
    var r = EnvelopeCrypto.builder().provider(counted).writeKey(key).clock(clock);
    if (format == 2) {
      r.dataKeyStore(store);
    }
    try (EnvelopeCrypto reader = r.build()) {
      counted.resetCounters();
      for (byte[] e : envelopes) {
        assertArrayEquals(plaintext, reader.decrypt(e, AAD));
      }
      return counted.count(Operation.UNWRAP);
    }
  }

  private static KeyPair rsa2048() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  /** The RSA-OAEP-256 "KMS" AEAD a Tink user plugs into KmsEnvelopeAead (as the peers suite). */
  private static final class OaepKek implements Aead {
    private final KeyPair pair;

    OaepKek(KeyPair pair) {
      this.pair = pair;
    }

    private static Cipher oaep(int mode, java.security.Key key) throws GeneralSecurityException {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(mode, key, new OAEPParameterSpec("SHA-256", "MGF1",
          java.security.spec.MGF1ParameterSpec.SHA256,
          javax.crypto.spec.PSource.PSpecified.DEFAULT));
      return c;
    }

    @Override
    public byte[] encrypt(byte[] plaintext, byte[] associatedData)
        throws GeneralSecurityException {
      return oaep(Cipher.ENCRYPT_MODE, pair.getPublic()).doFinal(plaintext);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData)
        throws GeneralSecurityException {
      return oaep(Cipher.DECRYPT_MODE, pair.getPrivate()).doFinal(ciphertext);
    }
  }
}
