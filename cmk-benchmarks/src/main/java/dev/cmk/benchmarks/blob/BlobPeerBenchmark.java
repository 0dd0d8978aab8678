package dev.cmk.benchmarks.blob;

import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.specialized.cryptography.EncryptedBlobClient;
import com.azure.storage.blob.specialized.cryptography.EncryptedBlobClientBuilder;
import com.azure.storage.blob.specialized.cryptography.EncryptionVersion;
import dev.cmk.azureblob.BlobRangeReader;
import dev.cmk.azureblob.EnvelopeBlobClient;
import dev.cmk.benchmarks.BlackholeOutputStream;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.azurite.Azurite;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Upload and download of {@code size} bytes, and a 64 KiB range of a {@code rangeBlobMiB} blob,
 * through cmk-azure-blob and through the Azure SDK's {@code EncryptedBlobClient} (client-side
 * encryption v2: AES-256-GCM in 4 MiB regions, key wrapped by RSA-OAEP-256 under the same kind of
 * local RSA-2048 key), on one Azurite, same run, same block size (4 MiB) and concurrency (4). The
 * range benchmarks print the requests and GET bytes per operation at the end of each trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class BlobPeerBenchmark {
  private static final int BLOCK = 4 * 1024 * 1024;
  private static final int RANGE = 64 * 1024;
  private static final byte[] AAD = "bench".getBytes(StandardCharsets.UTF_8);

  /** Upload and download size in MiB. */
  @Param({"64"})
  public int sizeMiB;

  /** Size of the blob the 64 KiB range is read from, in MiB. */
  @Param({"256"})
  public int rangeBlobMiB;

  private Azurite azurite;
  private EnvelopeCrypto crypto;
  private EnvelopeBlobClient cmk;
  private BlobRangeReader openReader;
  private final WireCounter cmkWire = new WireCounter();
  private final WireCounter azureWire = new WireCounter();
  private LocalRsaKek kek;
  private EncryptedBlobClientBuilder azureBuilder;
  private EncryptedBlobClient azureUploadBlob;
  private EncryptedBlobClient azureDownloadBlob;
  private EncryptedBlobClient azureRangeBlob;
  private byte[] plaintext;
  private long rangeOffset;
  private final AtomicLong rangeOps = new AtomicLong();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    azurite = Azurite.start(sizeMiB * 12 + rangeBlobMiB * 3 + 512);
    String container = azurite.createContainer();
    InMemoryKeyProvider provider = InMemoryKeyProvider.create();
    crypto = EnvelopeCrypto.builder().provider(provider)
        .writeKey(provider.createKey("bench", 2048).versionless()).build();
    BlobContainerClient cmkContainer = new BlobContainerClientBuilder()
        .connectionString(azurite.connectionString()).containerName(container)
        .addPolicy(cmkWire).buildClient();
    cmk = EnvelopeBlobClient.builder().crypto(crypto).container(cmkContainer)
        .blockSize(BLOCK).maxConcurrency(4).build();
    kek = new LocalRsaKek();
    plaintext = new byte[sizeMiB * 1024 * 1024];
    new SplittableRandom(1).nextBytes(plaintext);

    azureUploadBlob = azure(container, "azure-upload");
    azureDownloadBlob = azure(container, "azure-download");
    azureRangeBlob = azure(container, "azure-range");
    cmk.upload("cmk-download", new ByteArrayInputStream(plaintext), AAD);
    azureDownloadBlob.uploadWithResponse(uploadOptions(new ByteArrayInputStream(plaintext)),
        null, Context.NONE);

    long rangeSize = rangeBlobMiB * 1024L * 1024;
    cmk.upload("cmk-range", new Repeating(plaintext, rangeSize), AAD);
    azureRangeBlob.uploadWithResponse(uploadOptions(new Repeating(plaintext, rangeSize)), null,
        Context.NONE);
    rangeOffset = rangeSize / 2 + 1000; // not aligned to a segment or region
    openReader = cmk.openRangeReader("cmk-range", AAD);
    cmkWire.reset();
    azureWire.reset();
  }

  private EncryptedBlobClient azure(String container, String name) {
    return new EncryptedBlobClientBuilder(EncryptionVersion.V2)
        .key(kek, LocalRsaKek.ALGORITHM)
        .connectionString(azurite.connectionString())
        .containerName(container)
        .blobName(name)
        .addPolicy(azureWire)
        .buildEncryptedBlobClient();
  }

  private static BlobParallelUploadOptions uploadOptions(InputStream data) {
    return new BlobParallelUploadOptions(data).setParallelTransferOptions(
        new ParallelTransferOptions().setBlockSizeLong((long) BLOCK).setMaxConcurrency(4)
            .setMaxSingleUploadSizeLong((long) BLOCK));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    long ops = Math.max(1, rangeOps.get());
    if (rangeOps.get() > 0) {
      WireCounter w = cmkWire.gets.get() > 0 ? cmkWire : azureWire;
      System.out.printf("%n[wire] %s range ops=%d: %.2f requests/op, %.2f GETs/op, %.0f GET bytes/op"
              + ", azure unwraps/op %.2f%n", w == cmkWire ? "cmk" : "azure", rangeOps.get(),
          w.requests.get() / (double) ops, w.gets.get() / (double) ops,
          w.getBytes.get() / (double) ops, kek.unwraps.get() / (double) ops);
    }
    openReader.close();
    cmk.close();
    crypto.close();
    azurite.close();
  }

  // Uploads are single shots: Azurite (in memory) frees overwritten blobs only at its periodic
  // garbage collection, so a timed loop of 64 MiB uploads would fill its store.

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 2)
  @Measurement(iterations = 6)
  public Object cmkUpload() throws IOException {
    return cmk.upload("cmk-upload", new ByteArrayInputStream(plaintext), AAD);
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 2)
  @Measurement(iterations = 6)
  public Object azureUpload() {
    return azureUploadBlob.uploadWithResponse(
        uploadOptions(new ByteArrayInputStream(plaintext)), null, Context.NONE);
  }

  @Benchmark
  public long cmkDownload(Blackhole bh) throws IOException {
    try (InputStream in = cmk.openDownload("cmk-download", AAD)) {
      return in.transferTo(new BlackholeOutputStream(bh));
    }
  }

  @Benchmark
  public Object azureDownload(Blackhole bh) {
    return azureDownloadBlob.downloadStreamWithResponse(new BlackholeOutputStream(bh), null, null,
        null, false, null, Context.NONE);
  }

  /** Open (header GET + last segment GET, data key from the cache) and read 64 KiB. */
  @Benchmark
  public byte[] cmkRange64kOpenAndRead() {
    rangeOps.incrementAndGet();
    try (BlobRangeReader r = cmk.openRangeReader("cmk-range", AAD)) {
      return r.read(rangeOffset, RANGE);
    }
  }

  /** 64 KiB from a reader opened once (the header already read). */
  @Benchmark
  public byte[] cmkRange64kOpenReader() {
    rangeOps.incrementAndGet();
    return openReader.read(rangeOffset, RANGE);
  }

  @Benchmark
  public Object azureRange64k(Blackhole bh) {
    rangeOps.incrementAndGet();
    return azureRangeBlob.downloadStreamWithResponse(new BlackholeOutputStream(bh),
        new BlobRange(rangeOffset, (long) RANGE), null, null, false, null, Context.NONE);
  }

  /** {@code length} bytes that repeat {@code pattern}: a large blob without a large array. */
  static final class Repeating extends InputStream {
    private final byte[] pattern;
    private long remaining;
    private long position;

    Repeating(byte[] pattern, long length) {
      this.pattern = pattern;
      this.remaining = length;
    }

    @Override
    public int read() {
      if (remaining == 0) {
        return -1;
      }
      remaining--;
      return pattern[(int) (position++ % pattern.length)] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int at = (int) (position % pattern.length);
      int n = (int) Math.min(Math.min(len, remaining), pattern.length - at);
      System.arraycopy(pattern, at, b, off, n);
      position += n;
      remaining -= n;
      return n;
    }
  }
}
