package dev.cmk.benchmarks.peers;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import com.google.crypto.tink.StreamingAead;
import dev.cmk.benchmarks.BlackholeOutputStream;
import dev.cmk.benchmarks.PeerRun;
import dev.cmk.benchmarks.RawGcm;
import dev.cmk.benchmarks.SetUpCheck;
import dev.cmk.core.EnvelopeCrypto;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Streaming one 256 MiB message (a DICOM study's blob), all in memory.
 *
 * <p>Each library with its default stream layout: cmk 64 KiB segments, Tink AES256_GCM_HKDF_1MB
 * (1 MiB segments), the ESDK's framed format with its default 4 KiB frames and signing suite, and
 * the JDK ceiling over 64 KiB segments ({@link RawGcm#sealSegments}). The application writes and
 * reads in {@value #CHUNK}-byte chunks; output goes to a sink that drops it. One operation is one
 * whole 256 MiB message (ops/s × 256 MiB = bytes per second).
 */
// PeerRun's settings, with a heap for a 256 MiB message per library and its copies.
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class PeerStreamingBenchmark extends PeerRun {
  /** Plaintext bytes per message. */
  public static final int MESSAGE_SIZE = 256 << 20;

  /** Bytes per application write/read call. */
  public static final int CHUNK = 64 << 10;

  private static final int JDK_SEGMENT = 64 << 10;

  private byte[] plaintext;
  private final byte[] buffer = new byte[CHUNK];
  private EnvelopeCrypto cmk;
  private RawGcm jdk;
  private StreamingAead tink;
  private AwsCrypto aws;
  private JceMasterKey awsKey;
  private byte[] cmkMessage;
  private byte[] jdkMessage;
  private byte[] tinkMessage;
  private byte[] awsMessage;

  /** Builds every side, encrypts one message each and checks each decrypts to the plaintext. */
  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException, IOException {
    Peers.warmJdkGcm(JDK_SEGMENT, 1 << 20, 4096);
    plaintext = Peers.plaintext(MESSAGE_SIZE);
    cmk = Peers.cmk();
    jdk = new RawGcm(new SecureRandom());
    tink = Peers.tinkStreaming();
    aws = Peers.awsCrypto();
    awsKey = Peers.awsMasterKey(Peers.rsaKeyPair());

    ByteArrayOutputStream out = new ByteArrayOutputStream(MESSAGE_SIZE + (2 << 20));
    try (OutputStream s = cmk.encryptingStream(out, Peers.AAD)) {
      writeChunked(s);
    }
    cmkMessage = out.toByteArray();
    out.reset();
    jdk.sealSegments(plaintext, JDK_SEGMENT, out);
    jdkMessage = out.toByteArray();
    out.reset();
    try (OutputStream s = tink.newEncryptingStream(out, Peers.AAD)) {
      writeChunked(s);
    }
    tinkMessage = out.toByteArray();
    out.reset();
    try (OutputStream s = aws.createEncryptingStream(awsKey, out, Peers.CONTEXT)) {
      writeChunked(s);
    }
    awsMessage = out.toByteArray();

    out.reset();
    try (InputStream in = cmk.decryptingStream(new ByteArrayInputStream(cmkMessage), Peers.AAD)) {
      in.transferTo(out);
    }
    check(out);
    jdk.openSegments(
        new ByteArrayInputStream(jdkMessage), JDK_SEGMENT, (p, n) -> out.write(p, 0, n));
    check(out);
    try (InputStream in = tink.newDecryptingStream(new ByteArrayInputStream(tinkMessage), Peers.AAD)) {
      in.transferTo(out);
    }
    check(out);
    try (InputStream in = aws.createDecryptingStream(awsKey, new ByteArrayInputStream(awsMessage))) {
      in.transferTo(out);
    }
    check(out);
  }

  private void check(ByteArrayOutputStream out) {
    SetUpCheck.roundTrip(out.toByteArray(), plaintext);
    out.reset();
  }

  /** Destroys cmk's cached data keys. */
  @TearDown(Level.Trial)
  public void tearDown() {
    cmk.close();
  }

  private void writeChunked(OutputStream out) throws IOException {
    for (int off = 0; off < plaintext.length; off += CHUNK) {
      out.write(plaintext, off, Math.min(CHUNK, plaintext.length - off));
    }
  }

  private long readChunked(InputStream in, Blackhole bh) throws IOException {
    long total = 0;
    int n;
    while ((n = in.read(buffer, 0, CHUNK)) >= 0) {
      bh.consume(buffer);
      total += n;
    }
    return total;
  }

  @Benchmark
  public long cmkStreamEncrypt(Blackhole bh) throws IOException {
    BlackholeOutputStream sink = new BlackholeOutputStream(bh);
    try (OutputStream out = cmk.encryptingStream(sink, Peers.AAD)) {
      writeChunked(out);
    }
    return sink.written();
  }

  @Benchmark
  public long cmkStreamDecrypt(Blackhole bh) throws IOException {
    try (InputStream in = cmk.decryptingStream(new ByteArrayInputStream(cmkMessage), Peers.AAD)) {
      return readChunked(in, bh);
    }
  }

  @Benchmark
  public long jdkStreamEncrypt(Blackhole bh) throws GeneralSecurityException, IOException {
    BlackholeOutputStream sink = new BlackholeOutputStream(bh);
    jdk.sealSegments(plaintext, JDK_SEGMENT, sink);
    return sink.written();
  }

  @Benchmark
  public long jdkStreamDecrypt(Blackhole bh) throws GeneralSecurityException, IOException {
    BlackholeOutputStream sink = new BlackholeOutputStream(bh);
    return jdk.openSegments(
        new ByteArrayInputStream(jdkMessage), JDK_SEGMENT, (p, n) -> sink.write(p, 0, n));
  }

  @Benchmark
  public long tinkStreamEncrypt(Blackhole bh) throws GeneralSecurityException, IOException {
    BlackholeOutputStream sink = new BlackholeOutputStream(bh);
    try (OutputStream out = tink.newEncryptingStream(sink, Peers.AAD)) {
      writeChunked(out);
    }
    return sink.written();
  }

  @Benchmark
  public long tinkStreamDecrypt(Blackhole bh) throws GeneralSecurityException, IOException {
    try (InputStream in =
        tink.newDecryptingStream(new ByteArrayInputStream(tinkMessage), Peers.AAD)) {
      return readChunked(in, bh);
    }
  }

  @Benchmark
  public long awsStreamEncrypt(Blackhole bh) throws IOException {
    BlackholeOutputStream sink = new BlackholeOutputStream(bh);
    try (OutputStream out = aws.createEncryptingStream(awsKey, sink, Peers.CONTEXT)) {
      writeChunked(out);
    }
    return sink.written();
  }

  @Benchmark
  public long awsStreamDecrypt(Blackhole bh) throws IOException {
    try (InputStream in = aws.createDecryptingStream(awsKey, new ByteArrayInputStream(awsMessage))) {
      return readChunked(in, bh);
    }
  }
}
