package dev.cmk.azureblob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.GeneratedInputStream;
import dev.cmk.testkit.azurite.Azurite;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A large blob streamed up and down in constant memory: the test JVM's heap (-Xmx256m, see the
 * pom) is smaller than the blob, and the old generation's peak stays far below it. Size from
 * {@code -Dcmk.blob.largeMiB} (default 1024: 1 GiB, about 40 s on a 2-core machine).
 */
class LargeBlobIT {
  private static final byte[] AAD = "large".getBytes(StandardCharsets.UTF_8);

  private static final long SAMPLE_EVERY = 128L * 1024 * 1024;

  /** Heap in use right after a full GC: what the streams retain, garbage excluded. */
  static long liveHeap() {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** Deterministic pseudo-random plaintext of a given length, generated as it is read. */
  static final class Generated extends GeneratedInputStream {
    private final SplittableRandom random = new SplittableRandom(1);
    private final MessageDigest digest = sha256();
    long maxLive;

    Generated(long length) {
      super(length);
    }

    @Override
    protected void generate(long position, byte[] b, int off, int len) {
      for (int i = 0; i < len; i++) {
        b[off + i] = (byte) random.nextInt(256);
      }
      digest.update(b, off, len);
      if ((position + len) / SAMPLE_EVERY != position / SAMPLE_EVERY) {
        maxLive = Math.max(maxLive, liveHeap()); // mid-upload: blocks in flight
      }
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void largeBlob_uploadAndDownload_streamInConstantHeap() throws IOException {
    long mib = Long.getLong("cmk.blob.largeMiB", 1024);
    long size = mib * 1024 * 1024;
    assertTrue(Runtime.getRuntime().maxMemory() <= size + 16 * 1024 * 1024,
        "the heap must not be able to hold the blob, or the test proves nothing");
    try (Azurite azurite = Azurite.start((int) (mib + 256));
        BlobFixture f = new BlobFixture(azurite, EnvelopeCrypto.DEFAULT_SEGMENT_SIZE,
            EnvelopeBlobClientBuilder.DEFAULT_BLOCK_SIZE, 4)) {
      List<MemoryPoolMXBean> old = ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == MemoryType.HEAP)
          .filter(p -> p.getName().contains("Old") || p.getName().contains("Tenured")).toList();
      old.forEach(MemoryPoolMXBean::resetPeakUsage);

      Generated source = new Generated(size);
      long t0 = System.nanoTime();
      BlobUploadResult result = f.client.upload("large", source, AAD);
      long t1 = System.nanoTime();
      byte[] expected = source.digest.digest();

      MessageDigest got = sha256();
      long read = 0;
      long downloadLive = 0;
      try (InputStream in = f.client.openDownload("large", AAD)) {
        byte[] buf = new byte[256 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
          got.update(buf, 0, n);
          if ((read + n) / SAMPLE_EVERY != read / SAMPLE_EVERY) {
            downloadLive = Math.max(downloadLive, liveHeap());
          }
          read += n;
        }
      }
      long t2 = System.nanoTime();
      assertEquals(size, read);
      assertArrayEquals(expected, got.digest());
      assertTrue(result.blockCount() > 1);

      long oldPeak = old.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      System.out.printf("large blob %d MiB: upload %.1f MiB/s, download %.1f MiB/s (GC samples"
              + " included), live heap at most %d MiB up / %d MiB down, old-gen peak %d MiB,"
              + " %d blocks%n", mib, mib / ((t1 - t0) / 1e9), mib / ((t2 - t1) / 1e9),
          source.maxLive >> 20, downloadLive >> 20, oldPeak >> 20, result.blockCount());
      // 5 block buffers of 4 MiB, one download block, the SDK's own buffers: far below 64 MiB,
      // and independent of the blob's size (checked at every 128 MiB).
      assertTrue(source.maxLive > 0 && source.maxLive < 64L * 1024 * 1024,
          "live heap during the upload: " + (source.maxLive >> 20) + " MiB");
      assertTrue(downloadLive > 0 && downloadLive < 64L * 1024 * 1024,
          "live heap during the download: " + (downloadLive >> 20) + " MiB");
      assertTrue(old.isEmpty() || oldPeak < 192L * 1024 * 1024,
          "old generation peaked at " + (oldPeak >> 20) + " MiB");
      try (BlobRangeReader r = f.client.openRangeReader("large", AAD)) {
        long before = r.bytesFetched();
        byte[] range = r.read(size / 2 + 1000, 64 * 1024);
        assertEquals(64 * 1024, range.length);
        assertTrue(r.bytesFetched() - before <= 2L * (EnvelopeCrypto.DEFAULT_SEGMENT_SIZE + 16),
            "a 64 KiB range costs at most two segments");
        System.out.printf("64 KiB range of %d MiB: %d bytes fetched%n", mib,
            r.bytesFetched() - before);
        // The same bytes from the generator, to check the range's content.
        Generated again = new Generated(size);
        again.skipNBytes(size / 2 + 1000);
        assertArrayEquals(again.readNBytes(64 * 1024), range);
      }
    }
  }
}
