package dev.cmk.azureblob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockListType;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.FailingInputStream;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.azurite.Azurite;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real azure-storage-blob client against Azurite: round trips, failures, tampering. */
class EnvelopeBlobClientIT {
  private static final int SEGMENT = 4096;
  private static final int BLOCK = 64 * 1024;

  private final BlobFixture f = new BlobFixture(Azurite.shared(), SEGMENT, BLOCK, 3);

  @AfterEach
  void close() {
    f.close();
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] aad(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] download(String name) throws IOException {
    try (InputStream in = f.client.openDownload(name, aad(name))) {
      return in.readAllBytes();
    }
  }

  private BlobUploadResult upload(String name, byte[] plaintext) throws IOException {
    return f.client.upload(name, new ByteArrayInputStream(plaintext), aad(name));
  }

  @Test
  void upload_oneByte_roundTripsAndDescribesTheEnvelopeInMetadata() throws IOException {
    byte[] one = {42};
    BlobUploadResult result = upload("one", one);
    assertEquals(1, result.blockCount());
    assertEquals(f.key, result.keyReference());

    assertArrayEquals(one, download("one"));
    try (BlobRangeReader r = f.client.openRangeReader("one", aad("one"))) {
      assertEquals(1, r.plaintextLength());
      assertArrayEquals(one, r.read(0, 1));
      assertEquals(1, r.requests(), "a small blob is read whole by the first GET");
    }
    BlobClient blob = f.container.getBlobClient("one");
    Map<String, String> metadata = blob.getProperties().getMetadata();
    assertEquals(Map.of("cmkformat", "1", "cmkkey", f.key.toString()), metadata);
    assertEquals(result.envelopeLength(), blob.getProperties().getBlobSize());
    assertEquals(result.eTag(), blob.getProperties().getETag());
  }

  @Test
  void upload_64KiB_roundTripsThroughDownloadAndRanges() throws IOException {
    byte[] plaintext = bytes(64 * 1024, 1);
    BlobUploadResult result = upload("64k", plaintext);
    assertEquals(2, result.blockCount(), "64 KiB + overhead is one full block and a short one");
    assertArrayEquals(plaintext, download("64k"));
    try (BlobRangeReader r = f.client.openRangeReader("64k", aad("64k"))) {
      assertArrayEquals(Arrays.copyOfRange(plaintext, 5000, 9000), r.read(5000, 4000));
      try (InputStream s = r.stream(SEGMENT - 1, 3 * SEGMENT)) {
        assertArrayEquals(Arrays.copyOfRange(plaintext, SEGMENT - 1, 4 * SEGMENT - 1),
            s.readAllBytes());
      }
    }
  }

  @Test
  void upload_emptyPlaintext_roundTrips() throws IOException {
    upload("empty", new byte[0]);
    assertArrayEquals(new byte[0], download("empty"));
    try (BlobRangeReader r = f.client.openRangeReader("empty", aad("empty"))) {
      assertEquals(0, r.plaintextLength());
      assertArrayEquals(new byte[0], r.read(0, 0));
    }
  }

  @Test
  void upload_revokedMidUpload_commitsNothing_andKeepsThePreviousBlob() throws IOException {
    byte[] previous = bytes(10_000, 2);
    String previousETag = upload("revoked", previous).eTag();

    byte[] plaintext = bytes(5 * BLOCK, 3);
    BlobEnvelopeUpload upload = f.client.openUpload("revoked", aad("revoked"));
    upload.write(plaintext, 0, 3 * BLOCK); // blocks are staged meanwhile
    f.revoke();
    assertThrows(KeyAccessSuspendedException.class,
        () -> upload.write(plaintext, 3 * BLOCK, BLOCK));
    upload.close(); // what try-with-resources does: commits nothing
    assertTrue(upload.result().isEmpty());
    assertThrows(IOException.class, () -> upload.write(1));
    f.restore();

    BlobClient blob = f.container.getBlobClient("revoked");
    assertEquals(previousETag, blob.getProperties().getETag(), "the committed blob is untouched");
    assertArrayEquals(previous, download("revoked"));
    assertTrue(f.exchanges.stream().anyMatch(e -> e.method().equals("PUT")
            && e.url().contains("comp=block&") && e.status() == 201),
        "blocks were staged before the revocation (so the test exercised staging)");
    assertEquals(1, blob.getBlockBlobClient().listBlocks(BlockListType.COMMITTED)
        .getCommittedBlocks().size(), "the old block list, not the new one");
  }

  @Test
  void upload_revokedMidUpload_newName_leavesNoBlob() throws IOException {
    BlobEnvelopeUpload upload = f.client.openUpload("never", aad("never"));
    upload.write(bytes(2 * BLOCK + 7, 4));
    f.revoke();
    assertThrows(KeyAccessSuspendedException.class, () -> upload.write(bytes(100, 5)));
    upload.close();
    f.restore();
    assertFalse(f.container.getBlobClient("never").exists());
  }

  @Test
  void upload_blockRefusedByStorage_commitsNothing() {
    f.breakBlock.set(3);
    IOException e = assertThrows(IOException.class, () -> upload("refused", bytes(6 * BLOCK, 18)));
    assertTrue(e.getMessage().matches(".*storage request failed \\(HTTP 4\\d\\d\\).*"),
        e.toString());
    assertFalse(f.container.getBlobClient("refused").exists());
    assertTrue(f.exchanges.stream().noneMatch(x -> x.url().contains("comp=blocklist")),
        "no Put Block List was sent");
  }

  @Test
  void upload_withConditions_commitsOnlyWhenTheyHold() throws IOException {
    BlobRequestConditions createOnly = new BlobRequestConditions().setIfNoneMatch("*");
    String first = f.client.upload("cond", new ByteArrayInputStream(bytes(100, 19)), aad("cond"),
        createOnly).eTag();
    IOException exists = assertThrows(IOException.class, () -> f.client.upload("cond",
        new ByteArrayInputStream(bytes(2 * BLOCK, 20)), aad("cond"), createOnly));
    assertTrue(exists.getMessage().contains("already exists"), exists.toString());
    assertArrayEquals(bytes(100, 19), download("cond"));

    String second = f.client.upload("cond", new ByteArrayInputStream(bytes(200, 21)),
        aad("cond"), new BlobRequestConditions().setIfMatch(first)).eTag();
    IOException stale = assertThrows(IOException.class, () -> f.client.upload("cond",
        new ByteArrayInputStream(bytes(300, 22)), aad("cond"),
        new BlobRequestConditions().setIfMatch(first)));
    assertTrue(stale.getMessage().contains("changed"), stale.toString());
    assertEquals(second, f.container.getBlobClient("cond").getProperties().getETag());
    assertArrayEquals(bytes(200, 21), download("cond"));
  }

  @Test
  void upload_sourceFailsHalfWay_abortsAndLeavesNoBlob() {
    byte[] plaintext = bytes(3 * BLOCK, 6);
    IOException e = assertThrows(IOException.class, () -> f.client.upload("half",
        FailingInputStream.failingAt(plaintext, 2 * BLOCK, "disk gone"), aad("half")));
    assertEquals("disk gone", e.getMessage());
    assertFalse(f.container.getBlobClient("half").exists(),
        "a truncated plaintext must not become a valid, shorter blob");
  }

  @Test
  void upload_closedThenWritten_refusesAndKeepsTheBlob() throws IOException {
    BlobEnvelopeUpload upload = f.client.openUpload("closed", aad("closed"));
    upload.write(bytes(100, 7));
    upload.close();
    assertTrue(upload.result().isPresent());
    assertThrows(IOException.class, () -> upload.write(1));
    upload.abort(); // no effect after close
    assertArrayEquals(bytes(100, 7), download("closed"));
  }

  @Test
  void download_revokedMidDownload_failsBeforeTheNextSegment_andReleasedOnlyVerifiedBytes()
      throws IOException {
    byte[] plaintext = bytes(20 * SEGMENT, 8);
    upload("mid", plaintext);
    try (InputStream in = f.client.openDownload("mid", aad("mid"))) {
      byte[] first = in.readNBytes(5 * SEGMENT);
      assertArrayEquals(Arrays.copyOf(plaintext, 5 * SEGMENT), first);
      f.revoke();
      assertThrows(KeyAccessSuspendedException.class, () -> in.read(new byte[SEGMENT]));
      f.restore();
      assertArrayEquals(Arrays.copyOfRange(plaintext, 5 * SEGMENT, plaintext.length),
          in.readAllBytes(), "nothing was lost while refused");
    }
    try (BlobRangeReader r = f.client.openRangeReader("mid", aad("mid"))) {
      f.revoke();
      assertThrows(KeyAccessSuspendedException.class, () -> r.read(SEGMENT, 10));
      f.restore();
      assertArrayEquals(Arrays.copyOfRange(plaintext, SEGMENT, SEGMENT + 10), r.read(SEGMENT, 10));
    }
  }

  @Test
  void tamperedBody_flippedByte_releasesOnlyTheSegmentsBeforeIt() throws IOException {
    byte[] plaintext = bytes(10 * SEGMENT, 9);
    upload("tampered", plaintext);
    BlobClient blob = f.container.getBlobClient("tampered");
    byte[] envelope = blob.downloadContent().toBytes();
    int header = envelope.length - plaintext.length - 10 * 16;
    int inSegment6 = header + 6 * (SEGMENT + 16) + 100;
    envelope[inSegment6] ^= 0x01;
    blob.upload(BinaryData.fromBytes(envelope), true);

    byte[] released = new byte[plaintext.length];
    int n = 0;
    try (InputStream in = f.client.openDownload("tampered", aad("tampered"))) {
      InvalidCiphertextException e = assertThrows(InvalidCiphertextException.class, () -> {
        int[] total = {0};
        for (int r; (r = in.read(released, total[0], released.length - total[0])) > 0; ) {
          total[0] += r;
          if (total[0] > 6 * SEGMENT) {
            throw new AssertionError("bytes of the tampered segment were released");
          }
        }
      });
      assertEquals("invalid ciphertext", e.getMessage());
      for (int i = 0; i < 6 * SEGMENT; i++) {
        n += released[i] == plaintext[i] ? 0 : 1;
      }
    }
    assertEquals(0, n, "every released byte is the plaintext of a verified segment");

    try (BlobRangeReader r = f.client.openRangeReader("tampered", aad("tampered"))) {
      assertArrayEquals(Arrays.copyOfRange(plaintext, 0, 6 * SEGMENT), r.read(0, 6 * SEGMENT));
      assertThrows(InvalidCiphertextException.class, () -> r.read(6 * SEGMENT + 5, 1));
      assertThrows(InvalidCiphertextException.class, () -> r.read(0, 7 * SEGMENT));
      assertArrayEquals(Arrays.copyOfRange(plaintext, 7 * SEGMENT, 8 * SEGMENT),
          r.read(7 * SEGMENT, SEGMENT));
    }
  }

  @Test
  void tamperedHeader_flippedByte_refusedAtOpen() throws IOException {
    upload("header", bytes(3 * SEGMENT, 10));
    BlobClient blob = f.container.getBlobClient("header");
    byte[] envelope = blob.downloadContent().toBytes();
    envelope[envelope.length - 3 * (SEGMENT + 16) - 5] ^= 0x01; // inside the commitment tag
    blob.upload(BinaryData.fromBytes(envelope), true);
    assertThrows(InvalidCiphertextException.class,
        () -> f.client.openDownload("header", aad("header")));
    assertThrows(InvalidCiphertextException.class,
        () -> f.client.openRangeReader("header", aad("header")));
  }

  @Test
  void blobCopiedToAnotherName_doesNotDecryptThere() throws IOException {
    upload("original", bytes(100, 11));
    BlobClient copy = f.container.getBlobClient("copy");
    copy.upload(f.container.getBlobClient("original").downloadContent(), true);
    assertThrows(InvalidCiphertextException.class, () -> download("copy"));
    assertThrows(InvalidCiphertextException.class,
        () -> f.client.openRangeReader("copy", aad("copy")));
  }

  @Test
  void foreignEnvelope_underAnotherKey_isRefused() throws IOException {
    InMemoryKeyProvider other = InMemoryKeyProvider.create();
    try (EnvelopeCrypto foreign = EnvelopeCrypto.builder().provider(other)
        .writeKey(other.manager().createKey("not-ours", 2048).versionless()).build()) {
      byte[] envelope = foreign.encrypt(bytes(100, 12), aad("foreign"));
      f.container.getBlobClient("foreign").upload(BinaryData.fromBytes(envelope), true);
    }
    assertThrows(KeyNotFoundException.class, () -> download("foreign"));
    assertThrows(KeyNotFoundException.class,
        () -> f.client.openRangeReader("foreign", aad("foreign")));
  }

  @Test
  void metadata_isNeverTrusted() throws IOException {
    byte[] plaintext = bytes(1000, 13);
    upload("meta", plaintext);
    BlobClient blob = f.container.getBlobClient("meta");
    blob.setMetadata(Map.of("cmkformat", "9", "cmkkey", "local:someone-else/v9"));
    assertArrayEquals(plaintext, download("meta"));
  }

  @Test
  void notAnEnvelope_isInvalidCiphertext_andMissingBlob_isNoSuchFile() {
    f.container.getBlobClient("plain").upload(BinaryData.fromString("just some text, no header"));
    assertThrows(InvalidCiphertextException.class, () -> download("plain"));
    assertThrows(InvalidCiphertextException.class,
        () -> f.client.openRangeReader("plain", aad("plain")));
    f.container.getBlobClient("empty-blob").upload(BinaryData.fromBytes(new byte[0]));
    assertThrows(InvalidCiphertextException.class,
        () -> f.client.openRangeReader("empty-blob", aad("empty-blob")));
    assertThrows(NoSuchFileException.class, () -> download("missing"));
    UncheckedIOException e = assertThrows(UncheckedIOException.class,
        () -> f.client.openRangeReader("missing", aad("missing")));
    assertTrue(e.getCause() instanceof NoSuchFileException, e.toString());
  }

  @Test
  void rangeReader_blobReplacedAfterOpen_failsInsteadOfMixingVersions() throws IOException {
    byte[] plaintext = bytes(10 * SEGMENT, 14);
    upload("replaced", plaintext);
    try (BlobRangeReader r = f.client.openRangeReader("replaced", aad("replaced"))) {
      upload("replaced", bytes(10 * SEGMENT, 15));
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> r.read(2 * SEGMENT, 10));
      assertTrue(e.getCause().getMessage().contains("changed"), e.toString());
      assertEquals(412, ((BlobStorageException) e.getCause().getCause()).getStatusCode());
    }
  }

  @Test
  void rangeRead_fetchesOnlyTheSegmentsItCovers_inOneGet() throws IOException {
    byte[] plaintext = bytes(40 * SEGMENT, 16);
    upload("ranges", plaintext);
    f.exchanges.clear();
    try (BlobRangeReader r = f.client.openRangeReader("ranges", aad("ranges"))) {
      assertEquals(2, f.gets().size(), "open: the header GET and the last segment");
      long before = r.bytesFetched();
      f.exchanges.clear();
      // 3 segments: 10 (from its last byte), 11, 12 (its first byte)
      assertArrayEquals(Arrays.copyOfRange(plaintext, 11 * SEGMENT - 1, 12 * SEGMENT + 1),
          r.read(11 * SEGMENT - 1, SEGMENT + 2));
      assertEquals(1, f.gets().size(), f.exchanges::toString);
      assertEquals(3L * (SEGMENT + 16), f.gets().get(0).responseBytes());
      assertEquals(3L * (SEGMENT + 16), r.bytesFetched() - before);
    }
  }

  @Test
  void download_closedEarly_stopsTheDownloadThread() throws Exception {
    byte[] plaintext = bytes(4 * 1024 * 1024, 17);
    upload("early", plaintext);
    ExecutorService one = Executors.newSingleThreadExecutor();
    try (EnvelopeBlobClient client = EnvelopeBlobClient.builder().crypto(f.crypto)
        .container(f.container).executor(one).build()) {
      try (InputStream in = client.openDownload("early", aad("early"))) {
        assertArrayEquals(Arrays.copyOf(plaintext, 10), in.readNBytes(10));
      }
      // The executor's only thread ran the download: it is free again only if the download
      // stopped when the stream was closed (4 MiB do not fit in the 2 MiB queue).
      assertEquals("free", one.submit(() -> "free").get(30, TimeUnit.SECONDS));
    } finally {
      one.shutdownNow();
    }
  }
}
