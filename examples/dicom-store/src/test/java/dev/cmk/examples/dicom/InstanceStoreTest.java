package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceStoreTest {
  private static final InstanceKey KEY = new InstanceKey("1.2.3", "1.2.3.4", "1.2.3.4.5");
  private static final InstanceKey OTHER = new InstanceKey("1.2.3", "1.2.3.4", "1.2.3.4.6");

  @TempDir Path root;
  private final ManualClock clock = ManualClock.create();
  private InMemoryKeyProvider kms;
  private KeyReference version;
  private EnvelopeCrypto crypto;
  private InstanceStore store;

  @BeforeEach
  void setUp() throws IOException {
    kms = InMemoryKeyProvider.builder().clock(clock).build();
    version = kms.importKey("dicom-kek", TestKeys.RSA_2048);
    crypto = EnvelopeCrypto.builder()
        .provider(kms)
        .writeKey(version.versionless())
        .keyPolicy(KeyPolicy.dicomService())
        .clock(clock)
        .sleeper(clock::advance)
        .build();
    store = new InstanceStore(root, crypto, 1 << 20);
  }

  @AfterEach
  void tearDown() {
    crypto.close();
  }

  private static byte[] dicom(long seed, int length) {
    return SyntheticDicom.array(seed, length);
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  void write_thenOpen_readsWholeAndRanges() throws Exception {
    byte[] body = dicom(1, 200_000);

    InstanceWriter.Result r =
        writer(store).write(KEY, new ByteArrayInputStream(body), InstanceStore.WriteMode.CREATE_ONLY);

    assertEquals(true, r.created());
    assertEquals(200_000, r.length());
    try (StoredInstance s = store.open(KEY).orElseThrow()) {
      assertEquals(200_000, s.length());
      assertEquals(EnvelopeCrypto.DEFAULT_SEGMENT_SIZE, s.segmentSize());
      assertArrayEquals(body, readAll(s.whole()));
      assertArrayEquals(Arrays.copyOfRange(body, 65_000, 140_000), readAll(s.range(65_000, 75_000)));
      assertArrayEquals(body, readAll(s.whole()), "whole() can be read twice");
    }
  }

  @Test
  void write_storesCiphertextOnly_ownerReadableOnly() throws Exception {
    byte[] body = dicom(2, 100_000);
    byte[] marker = "PLAINTEXT-MARKER-0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(marker, 0, body, 50_000, marker.length);

    writer(store).write(KEY, new ByteArrayInputStream(body), InstanceStore.WriteMode.CREATE_ONLY);

    byte[] stored = Files.readAllBytes(store.pathOf(KEY));
    assertEquals(-1, indexOf(stored, marker));
    assertEquals(-1, indexOf(stored, Arrays.copyOfRange(body, 132, 164)));
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      assertEquals("rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(store.pathOf(KEY))));
    }
  }

  @Test
  void write_newStudyAndSeries_directoriesOwnerOnly() throws Exception {
    Path fresh = root.resolve("fresh-store");
    InstanceStore own = new InstanceStore(fresh, crypto, 1 << 20);

    writer(own).write(KEY, new ByteArrayInputStream(dicom(3, 1000)), InstanceStore.WriteMode.CREATE_ONLY);

    org.junit.jupiter.api.Assumptions.assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path study = own.root().resolve(KEY.studyUid());
    for (Path dir : List.of(own.root(), own.root().resolve(InstanceStore.INCOMING), study,
        study.resolve(KEY.seriesUid()))) {
      assertEquals("rwx------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), dir.toString());
    }
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(own.pathOf(KEY))));
  }

  @Test
  void write_newStudyAndSeries_forcesEachParentBeforeAnswering() throws Exception {
    List<Path> forced = new java.util.concurrent.CopyOnWriteArrayList<>();
    InstanceStore recorded = new InstanceStore(root, crypto, 1 << 20, forced::add);
    Path study = recorded.root().resolve(KEY.studyUid());
    Path series = study.resolve(KEY.seriesUid());

    writer(recorded).write(KEY, new ByteArrayInputStream(dicom(4, 1000)),
        InstanceStore.WriteMode.CREATE_ONLY);
    // The new study's entry is in the root, the series' in the study, the instance's in the series.
    assertEquals(List.of(recorded.root(), study, series), forced);

    forced.clear();
    writer(recorded).write(OTHER, new ByteArrayInputStream(dicom(5, 1000)),
        InstanceStore.WriteMode.CREATE_OR_REPLACE);
    assertEquals(List.of(series), forced, "existing directories need no new sync");

    forced.clear();
    writer(recorded).write(OTHER, new ByteArrayInputStream(dicom(6, 1000)),
        InstanceStore.WriteMode.CREATE_OR_REPLACE);
    assertEquals(List.of(series), forced, "the rename that replaces an instance is forced");

    forced.clear();
    assertTrue(recorded.delete(OTHER));
    assertEquals(List.of(series), forced);
  }

  @Test
  void write_concurrentReplaceOfANewInstance_exactlyOneCreates() throws Exception {
    int writers = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(writers);
    try {
      for (int round = 0; round < 40; round++) {
        InstanceKey key = new InstanceKey("1.2.3", "1.2.3.4", "1.2.3.4.100." + round);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(writers);
        List<java.util.concurrent.Future<InstanceWriter.Result>> results =
            new java.util.ArrayList<>();
        for (int i = 0; i < writers; i++) {
          byte[] body = dicom(round * 100 + i, 2000);
          results.add(pool.submit(() -> {
            start.await(10, java.util.concurrent.TimeUnit.SECONDS);
            return writer(store).write(key, new ByteArrayInputStream(body),
                InstanceStore.WriteMode.CREATE_OR_REPLACE);
          }));
        }
        int created = 0;
        for (java.util.concurrent.Future<InstanceWriter.Result> r : results) {
          created += r.get(30, java.util.concurrent.TimeUnit.SECONDS).created() ? 1 : 0;
        }
        assertEquals(1, created, "round " + round + ": uploads reporting created");
      }
      assertEquals(List.of(), incoming());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void write_bodyFailsMidway_leavesNothing() throws Exception {
    InputStream failing = new SequenceInputStream(
        new ByteArrayInputStream(dicom(3, 300_000)),
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("client went away");
          }
        });

    assertThrows(IOException.class,
        () -> writer(store).write(KEY, failing, InstanceStore.WriteMode.CREATE_OR_REPLACE));

    assertFalse(store.exists(KEY));
    assertEquals(List.of(), incoming());
  }

  @Test
  void write_failedReplacement_keepsTheOldInstance() throws Exception {
    byte[] old = dicom(4, 10_000);
    writer(store).write(KEY, new ByteArrayInputStream(old), InstanceStore.WriteMode.CREATE_ONLY);
    byte[] notDicom = dicom(5, 10_000);
    notDicom[129] = 'X';

    StoreRejection e = assertThrows(StoreRejection.class, () -> writer(store).write(KEY,
        new ByteArrayInputStream(notDicom), InstanceStore.WriteMode.CREATE_OR_REPLACE));

    assertEquals(StoreRejection.Reason.NOT_DICOM, e.reason());
    try (StoredInstance s = store.open(KEY).orElseThrow()) {
      assertArrayEquals(old, readAll(s.whole()));
    }
    assertEquals(List.of(), incoming());
  }

  @Test
  void write_tooShortOrTooLarge_isRejected() {
    StoreRejection shortBody = assertThrows(StoreRejection.class, () -> writer(store).write(KEY,
        new ByteArrayInputStream(Arrays.copyOf(dicom(6, 1000), 131)),
        InstanceStore.WriteMode.CREATE_ONLY));
    StoreRejection large = assertThrows(StoreRejection.class, () -> writer(store).write(KEY,
        new SyntheticDicom(7, (1 << 20) + 1).open(), InstanceStore.WriteMode.CREATE_ONLY));

    assertEquals(StoreRejection.Reason.NOT_DICOM, shortBody.reason());
    assertEquals(StoreRejection.Reason.TOO_LARGE, large.reason());
    assertFalse(store.exists(KEY));
  }

  @Test
  void write_exactlyTheMaximum_isAccepted() throws Exception {
    InstanceWriter.Result r = writer(store).write(KEY, new SyntheticDicom(8, 1 << 20).open(),
        InstanceStore.WriteMode.CREATE_ONLY);
    assertEquals(1 << 20, r.length());
  }

  @Test
  void write_createOnly_refusesAnExistingInstance_replaceDoesNot() throws Exception {
    writer(store).write(KEY, new ByteArrayInputStream(dicom(9, 1000)), InstanceStore.WriteMode.CREATE_ONLY);

    StoreRejection e = assertThrows(StoreRejection.class, () -> writer(store).write(KEY,
        new ByteArrayInputStream(dicom(10, 1000)), InstanceStore.WriteMode.CREATE_ONLY));
    InstanceWriter.Result replaced = writer(store).write(KEY,
        new ByteArrayInputStream(dicom(11, 2000)), InstanceStore.WriteMode.CREATE_OR_REPLACE);

    assertEquals(StoreRejection.Reason.ALREADY_EXISTS, e.reason());
    assertEquals(false, replaced.created());
    assertEquals(2000, replaced.length());
    try (StoredInstance s = store.open(KEY).orElseThrow()) {
      assertArrayEquals(dicom(11, 2000), readAll(s.whole()));
    }
  }

  @Test
  void write_keyDisabled_throwsAndStoresNothing() throws Exception {
    kms.setEnabled(version, false);
    clock.advance(Duration.ofMinutes(2));

    assertThrows(KeyAccessSuspendedException.class, () -> writer(store).write(KEY,
        new ByteArrayInputStream(dicom(12, 1000)), InstanceStore.WriteMode.CREATE_OR_REPLACE));

    assertFalse(store.exists(KEY));
    assertEquals(List.of(), incoming());
  }

  @Test
  void open_envelopeMovedToAnotherInstance_failsAuthentication() throws Exception {
    writer(store).write(KEY, new ByteArrayInputStream(dicom(13, 1000)), InstanceStore.WriteMode.CREATE_ONLY);
    writer(store).write(OTHER, new ByteArrayInputStream(dicom(14, 1000)),
        InstanceStore.WriteMode.CREATE_ONLY);
    Files.copy(store.pathOf(KEY), store.pathOf(OTHER), StandardCopyOption.REPLACE_EXISTING);

    assertThrows(InvalidCiphertextException.class, () -> store.open(OTHER));
  }

  @Test
  void open_missing_isEmpty_deleteReportsWhetherItExisted() throws Exception {
    assertEquals(Optional.empty(), store.open(KEY));
    assertFalse(store.delete(KEY));
    writer(store).write(KEY, new ByteArrayInputStream(dicom(15, 1000)), InstanceStore.WriteMode.CREATE_ONLY);
    assertTrue(store.delete(KEY));
    assertEquals(Optional.empty(), store.open(KEY));
  }

  @Test
  void open_etagIsNewForEveryUpload() throws Exception {
    byte[] body = dicom(16, 1000);
    writer(store).write(KEY, new ByteArrayInputStream(body), InstanceStore.WriteMode.CREATE_OR_REPLACE);
    String first;
    try (StoredInstance s = store.open(KEY).orElseThrow()) {
      first = s.etag();
    }
    writer(store).write(KEY, new ByteArrayInputStream(body), InstanceStore.WriteMode.CREATE_OR_REPLACE);
    try (StoredInstance s = store.open(KEY).orElseThrow()) {
      assertTrue(first.matches("\"[0-9a-f]{32}\""), first);
      assertFalse(first.equals(s.etag()), "same bytes uploaded again must get a new ETag");
    }
  }

  @Test
  void constructor_removesUnfinishedUploads() throws Exception {
    Path leftover = root.resolve(InstanceStore.INCOMING).resolve("upload-123.part");
    Files.write(leftover, new byte[] {1, 2, 3});

    new InstanceStore(root, crypto, 1 << 20);

    assertFalse(Files.exists(leftover));
  }

  @Test
  void pathOf_isInsideTheRoot() {
    Path p = store.pathOf(KEY);
    assertEquals(store.root().resolve("1.2.3").resolve("1.2.3.4").resolve("1.2.3.4.5.dcm.cmk"), p);
  }

  private List<Path> incoming() throws IOException {
    try (Stream<Path> s = Files.list(root.resolve(InstanceStore.INCOMING))) {
      return s.toList();
    }
  }

  /** Where {@code needle} first occurs in {@code haystack}, or -1 (Latin-1: one char a byte). */
  private static int indexOf(byte[] haystack, byte[] needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1)
        .indexOf(new String(needle, StandardCharsets.ISO_8859_1));
  }

  /** The write path of the server: uploads encrypted into plain temporary files. */
  static InstanceWriter writer(InstanceStore s) {
    return new InstanceWriter(s, p -> java.nio.channels.FileChannel.open(p,
        java.nio.file.StandardOpenOption.WRITE));
  }
}
