package dev.cmk.benchmarks.peers;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import com.google.crypto.tink.Aead;
import dev.cmk.benchmarks.PeerRun;
import dev.cmk.benchmarks.RawGcm;
import dev.cmk.benchmarks.SetUpCheck;
import dev.cmk.core.EnvelopeCrypto;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One-shot {@code byte[]} envelopes of 1 KiB (a FHIR resource), 64 KiB and 1 MiB: encrypt, decrypt
 * and encrypt-then-decrypt, for every library set up as {@link Peers} describes.
 *
 * <p>"Warm cache" means: cmk and the ESDK caching CMM have their data key made and cached in
 * set-up, so no RSA call is on their measured path; Tink's keyset AEAD has its keyset in memory.
 * Tink's envelope AEAD and the ESDK's default CMM have no cache: they make one RSA call per
 * message by design, which is what those methods show.
 */
public class PeerOneShotBenchmark extends PeerRun {
  /** Plaintext bytes per message. */
  @Param({"1024", "65536", "1048576"})
  public int size;

  private byte[] plaintext;
  private EnvelopeCrypto cmk;
  private RawGcm jdk;
  private Aead tinkKeyset;
  private Aead tinkEnvelope;
  private AwsCrypto aws;
  private JceMasterKey awsKey;
  private CryptoMaterialsManager awsCaching;

  private byte[] cmkMessage;
  private byte[] jdkMessage;
  private byte[] tinkKeysetMessage;
  private byte[] tinkEnvelopeMessage;
  private byte[] awsMessage;
  private byte[] awsCachingMessage;

  /** Builds every side, encrypts one message each and checks each decrypts to the plaintext. */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    Peers.warmJdkGcm(size);
    plaintext = Peers.plaintext(size);
    cmk = Peers.cmk();
    jdk = new RawGcm(new SecureRandom());
    tinkKeyset = Peers.tinkKeysetAead();
    KeyPair tinkKek = Peers.rsaKeyPair();
    tinkEnvelope = Peers.tinkEnvelope(new RsaOaepKek(tinkKek));
    aws = Peers.awsCrypto();
    awsKey = Peers.awsMasterKey(Peers.rsaKeyPair());
    awsCaching = Peers.awsCaching(awsKey, 1L << 20);

    cmkMessage = cmk.encrypt(plaintext, Peers.AAD);
    jdkMessage = jdk.seal(plaintext, Peers.AAD);
    tinkKeysetMessage = tinkKeyset.encrypt(plaintext, Peers.AAD);
    tinkEnvelopeMessage = tinkEnvelope.encrypt(plaintext, Peers.AAD);
    awsMessage = aws.encryptData(awsKey, plaintext, Peers.CONTEXT).getResult();
    awsCachingMessage = aws.encryptData(awsCaching, plaintext, Peers.CONTEXT).getResult();
    SetUpCheck.roundTrip(cmk.decrypt(cmkMessage, Peers.AAD), plaintext);
    SetUpCheck.roundTrip(jdk.open(jdkMessage, Peers.AAD), plaintext);
    SetUpCheck.roundTrip(tinkKeyset.decrypt(tinkKeysetMessage, Peers.AAD), plaintext);
    SetUpCheck.roundTrip(tinkEnvelope.decrypt(tinkEnvelopeMessage, Peers.AAD), plaintext);
    SetUpCheck.roundTrip(aws.decryptData(awsKey, awsMessage).getResult(), plaintext);
    SetUpCheck.roundTrip(aws.decryptData(awsCaching, awsCachingMessage).getResult(), plaintext);

    int fast = size <= (64 << 10) ? Peers.FAST_WARM_UP : Peers.FAST_WARM_UP / 30;
    int slow = size <= (64 << 10) ? Peers.SLOW_WARM_UP : Peers.SLOW_WARM_UP / 3;
    Peers.warm(fast, () -> cmk.decrypt(cmk.encrypt(plaintext, Peers.AAD), Peers.AAD));
    Peers.warm(fast, () -> jdk.open(jdk.seal(plaintext, Peers.AAD), Peers.AAD));
    Peers.warm(fast, () -> tinkKeyset.decrypt(tinkKeyset.encrypt(plaintext, Peers.AAD), Peers.AAD));
    Peers.warm(
        slow, () -> tinkEnvelope.decrypt(tinkEnvelope.encrypt(plaintext, Peers.AAD), Peers.AAD));
    Peers.warm(slow, () -> aws.decryptData(awsCaching, newAwsCachingMessage()).getResult());
    Peers.warm(slow, () -> awsDefaultRoundTrip());
  }

  private byte[] newAwsCachingMessage() {
    return aws.encryptData(awsCaching, plaintext, Peers.CONTEXT).getResult();
  }

  /** Destroys cmk's cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    cmk.close();
  }

  @Benchmark
  public byte[] cmkEncrypt() {
    return cmk.encrypt(plaintext, Peers.AAD);
  }

  @Benchmark
  public byte[] cmkDecrypt() {
    return cmk.decrypt(cmkMessage, Peers.AAD);
  }

  @Benchmark
  public byte[] cmkRoundTrip() {
    return cmk.decrypt(cmk.encrypt(plaintext, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] jdkEncrypt() throws GeneralSecurityException {
    return jdk.seal(plaintext, Peers.AAD);
  }

  @Benchmark
  public byte[] jdkDecrypt() throws GeneralSecurityException {
    return jdk.open(jdkMessage, Peers.AAD);
  }

  @Benchmark
  public byte[] jdkRoundTrip() throws GeneralSecurityException {
    return jdk.open(jdk.seal(plaintext, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] tinkKeysetEncrypt() throws GeneralSecurityException {
    return tinkKeyset.encrypt(plaintext, Peers.AAD);
  }

  @Benchmark
  public byte[] tinkKeysetDecrypt() throws GeneralSecurityException {
    return tinkKeyset.decrypt(tinkKeysetMessage, Peers.AAD);
  }

  @Benchmark
  public byte[] tinkKeysetRoundTrip() throws GeneralSecurityException {
    return tinkKeyset.decrypt(tinkKeyset.encrypt(plaintext, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] tinkEnvelopeEncrypt() throws GeneralSecurityException {
    return tinkEnvelope.encrypt(plaintext, Peers.AAD);
  }

  @Benchmark
  public byte[] tinkEnvelopeDecrypt() throws GeneralSecurityException {
    return tinkEnvelope.decrypt(tinkEnvelopeMessage, Peers.AAD);
  }

  @Benchmark
  public byte[] tinkEnvelopeRoundTrip() throws GeneralSecurityException {
    return tinkEnvelope.decrypt(tinkEnvelope.encrypt(plaintext, Peers.AAD), Peers.AAD);
  }

  @Benchmark
  public byte[] awsCachingEncrypt() {
    return aws.encryptData(awsCaching, plaintext, Peers.CONTEXT).getResult();
  }

  @Benchmark
  public byte[] awsCachingDecrypt() {
    return aws.decryptData(awsCaching, awsCachingMessage).getResult();
  }

  @Benchmark
  public byte[] awsCachingRoundTrip() {
    byte[] m = aws.encryptData(awsCaching, plaintext, Peers.CONTEXT).getResult();
    return aws.decryptData(awsCaching, m).getResult();
  }

  @Benchmark
  public byte[] awsDefaultEncrypt() {
    return aws.encryptData(awsKey, plaintext, Peers.CONTEXT).getResult();
  }

  @Benchmark
  public byte[] awsDefaultDecrypt() {
    return aws.decryptData(awsKey, awsMessage).getResult();
  }

  @Benchmark
  public byte[] awsDefaultRoundTrip() {
    return aws.decryptData(awsKey, aws.encryptData(awsKey, plaintext, Peers.CONTEXT).getResult())
        .getResult();
  }
}
