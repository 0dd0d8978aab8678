package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DICOMweb end to end on a real server: STOW-RS, QIDO-RS, WADO-RS (instances, metadata, frames
 * decrypting only their segments), the loss-of-access contract through every DICOMweb endpoint,
 * and 507 on a full disk.
 */
@Timeout(120)
class DicomWebIT {
  private static final String MULTIPART_DICOM =
      "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
  private static final String MULTIPART_OCTETS = "multipart/related; type=\"application/octet-stream\"";
  private static final int SEGMENT = 64 * 1024;

  @TempDir Path dir;
  private final AtomicLong envelopeBytesRead = new AtomicLong();
  private TestServer t;
  private DicomFiles ct;
  private DicomFiles mr;
  private DicomFiles other;

  @BeforeEach
  void start() throws Exception {
    t = TestServer.start(dir, b -> b.readChannels(c -> new CountingChannel(c, envelopeBytesRead)));
    ct = new DicomFiles().uids("1.2.3.10", "1.2.3.10.1", "1.2.3.10.1.1");
    ct.modality = "CT";
    mr = new DicomFiles().uids("1.2.3.10", "1.2.3.10.2", "1.2.3.10.2.1");
    mr.modality = "MR";
    mr.seed = 2;
    other = new DicomFiles().uids("1.2.3.20", "1.2.3.20.1", "1.2.3.20.1.1");
    other.patientName = "Roe^Richard";
    other.patientId = "PID-0002";
    other.studyDate = "20230102";
    other.accession = "ACC-0002";
    other.seed = 3;
  }

  @AfterEach
  void stop() {
    t.close();
  }

  private void storeAll() throws Exception {
    HttpResponse<String> r = DicomWeb.stow(t, "/studies", List.of(ct.build(), mr.build(),
        other.build()));
    assertEquals(200, r.statusCode(), r.body());
  }

  @Test
  void stow_threeInstances_200WithReferencedSopSequenceAndRetrievable() throws Exception {
    HttpResponse<String> r = DicomWeb.stow(t, "/studies", List.of(ct.build(), mr.build(),
        other.build()));

    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/dicom+json", r.headers().firstValue("Content-Type").orElseThrow());
    assertTrue(r.body().contains("\"00081199\":{\"vr\":\"SQ\",\"Value\":[{"), r.body());
    assertFalse(r.body().contains("00081198"), r.body());
    assertEquals(3, DicomWeb.count(r.body(), "\"00081155\""));
    assertTrue(r.body().contains(t.server.uri().resolve(
        "/studies/1.2.3.10/series/1.2.3.10.1/instances/1.2.3.10.1.1").toString()), r.body());

    HttpResponse<byte[]> get = DicomWeb.get(t,
        "/studies/1.2.3.10/series/1.2.3.10.1/instances/1.2.3.10.1.1", MULTIPART_DICOM);
    assertEquals(200, get.statusCode());
    assertTrue(get.headers().firstValue("Content-Type").orElseThrow()
        .startsWith("multipart/related; type=\"application/dicom\""));
    List<byte[]> parts = DicomWeb.parts(get);
    assertEquals(1, parts.size());
    assertArrayEquals(ct.build(), parts.get(0));
    // The raw resource still serves the same bytes (and ranges) without a multipart Accept.
    HttpResponse<byte[]> raw = t.sendForBytes(t.request(
        "/studies/1.2.3.10/series/1.2.3.10.1/instances/1.2.3.10.1.1").GET().build());
    assertArrayEquals(ct.build(), raw.body());
  }

  @Test
  void stow_someInvalid_202WithFailedSopSequence_allInvalid_409() throws Exception {
    byte[] garbage = SyntheticDicom.array(9, 5000); // DICM, then no valid meta group
    HttpResponse<String> some = DicomWeb.stow(t, "/studies", List.of(ct.build(), garbage));
    assertEquals(202, some.statusCode(), some.body());
    assertTrue(some.body().contains("\"00081198\""), some.body());
    assertTrue(some.body().contains("\"00081197\":{\"vr\":\"US\",\"Value\":[49152]}"),
        some.body());
    assertEquals(1, DicomWeb.count(some.body(), "\"00081155\""));

    HttpResponse<String> none = DicomWeb.stow(t, "/studies", List.of(garbage, garbage));
    assertEquals(409, none.statusCode(), none.body());

    HttpResponse<String> mismatch = DicomWeb.stow(t, "/studies/1.2.3.99", List.of(mr.build()));
    assertEquals(409, mismatch.statusCode(), mismatch.body());
    assertTrue(mismatch.body().contains("[43264]"), mismatch.body()); // 0xA900
    assertEquals(List.of(), t.incomingFiles());
    assertEquals(404, DicomWeb.get(t, "/studies/1.2.3.10/series/1.2.3.10.2", MULTIPART_DICOM)
        .statusCode());

    HttpResponse<String> wrongType = t.send(t.request("/studies")
        .header("Content-Type", "application/dicom")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ct.build())).build());
    assertEquals(415, wrongType.statusCode());
  }

  @Test
  void qido_commonMatches_findWhatWasStored() throws Exception {
    storeAll();
    String studies = t.get("/studies").body();
    assertEquals(2, DicomWeb.count(studies, "\"0020000D\""), studies);
    assertTrue(studies.contains("\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":"
        + "\"Doe^Jane\"}]}"), studies);
    assertTrue(studies.contains("\"00080061\":{\"vr\":\"CS\",\"Value\":[\"CT\",\"MR\"]}"),
        studies);
    assertTrue(studies.contains("\"00201208\":{\"vr\":\"IS\",\"Value\":[2]}"), studies);

    assertStudies("/studies?PatientName=doe*", "1.2.3.10");
    assertStudies("/studies?PatientName=R?E%5ERichard", "1.2.3.20");
    assertStudies("/studies?PatientID=PID-0002", "1.2.3.20");
    assertStudies("/studies?StudyDate=20240101-20241231", "1.2.3.10");
    assertStudies("/studies?StudyDate=-20231231", "1.2.3.20");
    assertStudies("/studies?AccessionNumber=ACC-0001", "1.2.3.10");
    assertStudies("/studies?ModalitiesInStudy=MR", "1.2.3.10");
    assertStudies("/studies?StudyInstanceUID=1.2.3.20,1.2.3.99", "1.2.3.20");
    assertStudies("/studies?00100020=PID-0001", "1.2.3.10");
    assertEquals("[]", t.get("/studies?PatientID=nobody").body());
    assertEquals(1, DicomWeb.count(t.get("/studies?limit=1&offset=1").body(), "\"0020000D\""));

    String series = t.get("/studies/1.2.3.10/series?Modality=MR").body();
    assertEquals(1, DicomWeb.count(series, "\"0020000E\""), series);
    assertTrue(series.contains("1.2.3.10.2"), series);
    assertEquals(3, DicomWeb.count(t.get("/series").body(), "\"0020000E\""));

    String instances = t.get("/studies/1.2.3.10/series/1.2.3.10.1/instances").body();
    assertEquals(1, DicomWeb.count(instances, "\"00080018\""), instances);
    String bySop = t.get("/instances?SOPInstanceUID=1.2.3.20.1.1&includefield=PatientID")
        .body();
    assertTrue(bySop.contains("\"00100020\":{\"vr\":\"LO\",\"Value\":[\"PID-0002\"]}"), bySop);
    assertEquals(3, DicomWeb.count(t.get("/instances").body(), "\"00080018\""));
    assertEquals(400, t.get("/studies?NoSuchKeyword=1").statusCode());
  }

  private void assertStudies(String query, String... studies) throws Exception {
    HttpResponse<String> r = t.get(query);
    assertEquals(200, r.statusCode(), query + " " + r.body());
    assertEquals(studies.length, DicomWeb.count(r.body(), "\"0020000D\""), query + r.body());
    for (String s : studies) {
      assertTrue(r.body().contains("\"" + s + "\""), query + " " + r.body());
    }
  }

  @Test
  void wado_studySeriesAndMetadata_returnWhatWasStored() throws Exception {
    storeAll();
    List<byte[]> study = DicomWeb.parts(DicomWeb.get(t, "/studies/1.2.3.10", MULTIPART_DICOM));
    assertEquals(2, study.size());
    assertArrayEquals(ct.build(), study.get(0));
    assertArrayEquals(mr.build(), study.get(1));
    List<byte[]> series = DicomWeb.parts(
        DicomWeb.get(t, "/studies/1.2.3.10/series/1.2.3.10.2", MULTIPART_DICOM));
    assertEquals(1, series.size());
    assertArrayEquals(mr.build(), series.get(0));

    HttpResponse<byte[]> meta = DicomWeb.get(t,
        "/studies/1.2.3.20/series/1.2.3.20.1/instances/1.2.3.20.1.1/metadata",
        "application/dicom+json");
    assertEquals(200, meta.statusCode());
    String json = new String(meta.body(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(json.startsWith("[{\"00080016\""), json);
    assertTrue(json.contains("\"Alphabetic\":\"Roe^Richard\""), json);
    assertTrue(json.contains("\"00280010\":{\"vr\":\"US\",\"Value\":[8]}"), json);
    assertFalse(json.contains("7FE00010"), json);
    String studyMeta = new String(DicomWeb.get(t, "/studies/1.2.3.10/metadata",
        "application/dicom+json").body(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(2, DicomWeb.count(studyMeta, "\"00080018\""));
    assertEquals(406, DicomWeb.get(t, "/studies/1.2.3.10", "image/png").statusCode());
  }

  @Test
  void frames_oneOfTwenty_decryptsOnlyTheSegmentsThatHoldIt() throws Exception {
    DicomFiles big = new DicomFiles().uids("1.2.3.30", "1.2.3.30.1", "1.2.3.30.1.1");
    big.sopClass = DicomFiles.MF_GRAYSCALE_WORD_SC;
    big.rows = 256;
    big.columns = 256;
    big.frames = 20; // 128 KiB per frame, 2.5 MiB: 41 segments
    byte[] file = big.build();
    assertEquals(200, DicomWeb.stow(t, "/studies", List.of(file)).statusCode());
    String path = "/studies/1.2.3.30/series/1.2.3.30.1/instances/1.2.3.30.1.1/frames/";
    long envelopeSize = Files.size(t.storedFile("1.2.3.30", "1.2.3.30.1", "1.2.3.30.1.1"));

    envelopeBytesRead.set(0);
    HttpResponse<byte[]> one = DicomWeb.get(t, path + "7", MULTIPART_OCTETS);
    long read = envelopeBytesRead.get();

    assertEquals(200, one.statusCode());
    List<byte[]> parts = DicomWeb.parts(one);
    assertEquals(1, parts.size());
    assertArrayEquals(big.frame(6), parts.get(0));
    // Frame 7 covers plaintext [p + 6*128 KiB, p + 7*128 KiB), p the pixel data offset: not
    // aligned to 64 KiB, so it spans 3 segments. Read: exactly the header, those 3 segments and
    // the last segment (which proves the length); nothing else of the 41.
    long segments = (file.length + SEGMENT - 1) / SEGMENT;
    long header = envelopeSize - file.length - 16L * segments;
    long lastSegment = file.length - (segments - 1) * SEGMENT + 16;
    long pixels = file.length - 20L * 128 * 1024;
    long first = (pixels + 6L * 128 * 1024) / SEGMENT;
    long last = (pixels + 7L * 128 * 1024 - 1) / SEGMENT;
    assertEquals(3, last - first + 1);
    assertEquals(header + 3L * (SEGMENT + 16) + lastSegment, read,
        "envelope bytes read for one frame");
    System.out.printf("frames: 1 frame of 20 read %d of %d envelope bytes (header %d, %d of %d"
        + " segments, last segment %d)%n", read, envelopeSize, header, last - first + 1,
        segments, lastSegment);

    List<byte[]> two = DicomWeb.parts(DicomWeb.get(t, path + "1,20", MULTIPART_OCTETS));
    assertEquals(2, two.size());
    assertArrayEquals(big.frame(0), two.get(0));
    assertArrayEquals(big.frame(19), two.get(1));
    assertEquals(404, DicomWeb.get(t, path + "21", MULTIPART_OCTETS).statusCode());
    assertEquals(400, DicomWeb.get(t, path + "0", MULTIPART_OCTETS).statusCode());
    assertEquals(406, DicomWeb.get(t, path + "1", "multipart/related; type=\"image/jpeg\"")
        .statusCode());
  }

  /**
   * A 150 MiB instance through STOW-RS with a 96 MiB heap: the body streams (only the attributes
   * before the pixel data are held), and a frame from its middle comes back as generated.
   */
  @Test
  void stow_150MiBInstance_streamsAndServesAFrame() throws Exception {
    DicomFiles big = new DicomFiles().uids("1.2.3.35", "1.2.3.35.1", "1.2.3.35.1.1");
    big.sopClass = DicomFiles.MF_GRAYSCALE_WORD_SC;
    big.rows = 1024;
    big.columns = 1024;
    big.frames = 75; // 2 MiB per frame
    long pixelLength = 75L * 1024 * 1024 * 2;
    big.declaredPixelLength = pixelLength;
    byte[] header = big.build();
    SyntheticDicom pixels = new SyntheticDicom(35, pixelLength + 132);
    byte[] prefix = ("--" + DicomWeb.BOUNDARY + "\r\nContent-Type: application/dicom\r\n\r\n")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] suffix = ("\r\n--" + DicomWeb.BOUNDARY + "--\r\n")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    long started = System.nanoTime();
    HttpResponse<String> r = t.send(t.request("/studies")
        .header("Content-Type",
            "multipart/related; type=\"application/dicom\"; boundary=" + DicomWeb.BOUNDARY)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
            java.util.Collections.enumeration(List.of(
                new java.io.ByteArrayInputStream(prefix),
                new java.io.ByteArrayInputStream(header),
                pixels.open(132, pixelLength),
                new java.io.ByteArrayInputStream(suffix)))))).build());
    assertEquals(200, r.statusCode(), r.body());
    long stowed = System.nanoTime();
    HttpResponse<String> head = t.send(t.request(
        "/studies/1.2.3.35/series/1.2.3.35.1/instances/1.2.3.35.1.1")
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    assertEquals(Long.toString(header.length + pixelLength),
        head.headers().firstValue("Content-Length").orElseThrow());
    HttpResponse<byte[]> frame = DicomWeb.get(t,
        "/studies/1.2.3.35/series/1.2.3.35.1/instances/1.2.3.35.1.1/frames/40", MULTIPART_OCTETS);
    assertEquals(200, frame.statusCode());
    System.out.printf("stow: 150 MiB in %d ms; frame 40 (2 MiB) in %d ms%n",
        (stowed - started) / 1_000_000, (System.nanoTime() - stowed) / 1_000_000);
    assertArrayEquals(pixels.bytes(132 + 39L * 2 * 1024 * 1024, 2 * 1024 * 1024),
        DicomWeb.parts(frame).get(0));
  }

  @Test
  void frames_encapsulated_servedWithTheirMediaType() throws Exception {
    DicomFiles jpeg = new DicomFiles().uids("1.2.3.40", "1.2.3.40.1", "1.2.3.40.1.1");
    jpeg.frames = 2;
    jpeg.fragments = List.of(new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2},
        new byte[] {(byte) 0xFF, (byte) 0xD8, 3, 4, 5, 6});
    assertEquals(200, DicomWeb.stow(t, "/studies", List.of(jpeg.build())).statusCode());
    HttpResponse<byte[]> r = DicomWeb.get(t,
        "/studies/1.2.3.40/series/1.2.3.40.1/instances/1.2.3.40.1.1/frames/2",
        "multipart/related; type=\"image/jpeg\"");
    assertEquals(200, r.statusCode());
    assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xD8, 3, 4, 5, 6},
        DicomWeb.parts(r).get(0));
  }

  @Test
  void keyLost_everyDicomWebEndpoint500UntilRefreshAfterGrace() throws Exception {
    storeAll();
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();
    String instance = "/studies/1.2.3.10/series/1.2.3.10.1/instances/1.2.3.10.1.1";
    List<HttpResponse<?>> answers = List.of(
        t.get("/studies"),
        t.get("/studies?PatientID=nobody"),
        t.get("/studies/1.2.3.10/series"),
        t.get("/instances"),
        DicomWeb.get(t, "/studies/1.2.3.10", MULTIPART_DICOM),
        DicomWeb.get(t, instance, MULTIPART_DICOM),
        DicomWeb.get(t, instance + "/metadata", "application/dicom+json"),
        DicomWeb.get(t, "/studies/1.2.3.10/metadata", "application/dicom+json"),
        DicomWeb.get(t, instance + "/frames/1", MULTIPART_OCTETS),
        DicomWeb.stow(t, "/studies", List.of(new DicomFiles()
            .uids("1.2.3.50", "1.2.3.50.1", "1.2.3.50.1.1").build())));
    for (HttpResponse<?> r : answers) {
      String body = r.body() instanceof byte[] b
          ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : (String) r.body();
      assertEquals(500, r.statusCode(), r.uri() + " " + body);
      assertEquals("customer-managed-key-not-accessible", TestServer.field(body, "error"),
          r.uri() + " " + body);
      assertTrue(r.headers().firstValue("Content-Type").orElseThrow()
          .startsWith("application/json"));
    }
    assertFalse(Files.exists(dir.resolve("1.2.3.50")), "stored while the key was lost");
    assertEquals(List.of(), t.incomingFiles());

    t.clock.advance(Duration.ofMinutes(31));
    t.kms.setEnabled(t.keyVersion, true);
    t.clock.advance(Duration.ofMinutes(1));
    HttpResponse<String> locked = t.get("/studies");
    assertEquals(500, locked.statusCode());
    assertEquals("true", TestServer.field(locked.body(), "refreshRequired"));
    assertEquals(200, t.send(t.request(DicomStoreHandler.REFRESH_PATH)
        .POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode());
    assertEquals(2, DicomWeb.count(t.get("/studies").body(), "\"0020000D\""));
  }

  @Test
  void restart_indexRebuiltFromEncryptedMetadata_noPhiOnDisk() throws Exception {
    storeAll();
    t.close();
    for (Path p : Files.walk(dir).filter(Files::isRegularFile).toList()) {
      String content = new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertFalse(content.contains("Doe^Jane") || content.contains("PID-0001")
          || content.contains("ACC-0001"), "PHI in " + p);
    }
    t = TestServer.start(dir);
    assertStudies("/studies?PatientName=Doe*", "1.2.3.10");
  }

  @Test
  void metadataEnvelope_movedOntoAnotherInstance_failsAuthentication() throws Exception {
    storeAll();
    Path ctMeta = t.storedFile("1.2.3.10", "1.2.3.10.1", "1.2.3.10.1.1")
        .resolveSibling("1.2.3.10.1.1" + InstanceStore.META_SUFFIX);
    Path mrMeta = t.storedFile("1.2.3.10", "1.2.3.10.2", "1.2.3.10.2.1")
        .resolveSibling("1.2.3.10.2.1" + InstanceStore.META_SUFFIX);
    Files.copy(ctMeta, mrMeta, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String mr = "/studies/1.2.3.10/series/1.2.3.10.2/instances/1.2.3.10.2.1";

    for (HttpResponse<byte[]> r : List.of(
        DicomWeb.get(t, mr + "/metadata", "application/dicom+json"),
        DicomWeb.get(t, mr + "/frames/1", MULTIPART_OCTETS))) {
      assertEquals(500, r.statusCode());
      assertEquals("stored-instance-failed-authentication", TestServer.field(
          new String(r.body(), java.nio.charset.StandardCharsets.UTF_8), "error"));
    }
  }

  @Test
  void metadataEnvelope_ofAnEarlierUpload_isNotUsed() throws Exception {
    storeAll();
    Path ctMeta = t.storedFile("1.2.3.10", "1.2.3.10.1", "1.2.3.10.1.1")
        .resolveSibling("1.2.3.10.1.1" + InstanceStore.META_SUFFIX);
    byte[] earlier = Files.readAllBytes(ctMeta);
    assertEquals(200, DicomWeb.stow(t, "/studies", List.of(ct.build())).statusCode());
    Files.write(ctMeta, earlier); // put back the first upload's metadata beside the second

    String instance = "/studies/1.2.3.10/series/1.2.3.10.1/instances/1.2.3.10.1.1";
    assertEquals(404, DicomWeb.get(t, instance + "/frames/1", MULTIPART_OCTETS).statusCode(),
        "stale frame offsets must not be used");
    assertEquals(404, DicomWeb.get(t, instance + "/metadata", "application/dicom+json")
        .statusCode(), "stale attributes must not be served");
  }

  @Test
  void startedWhileTheKeyIsLost_searches500_thenIndexLoadsWhenTheKeyIsBack() throws Exception {
    storeAll();
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();
    assertEquals(500, t.get("/studies").statusCode()); // the guard now knows the key is lost
    // A second server on the same data: it starts while the key is not accessible, so its index
    // (rebuilt by decrypting the metadata envelopes) cannot load.
    try (DicomStoreServer second = DicomStoreServer.builder().crypto(t.crypto)
        .dataDirectory(dir).stopTimeout(Duration.ZERO).build().start()) {
      java.net.URI studies = second.uri().resolve("/studies?PatientName=Doe*");
      HttpResponse<String> lost = t.http.send(HttpRequest.newBuilder(studies).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(500, lost.statusCode(), lost.body());
      assertEquals("customer-managed-key-not-accessible", TestServer.field(lost.body(), "error"));

      t.kms.setEnabled(t.keyVersion, true);
      t.clock.advance(Duration.ofSeconds(5)); // the first probe back-off
      HttpResponse<String> back = t.http.send(HttpRequest.newBuilder(studies).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, back.statusCode(), back.body());
      assertEquals(1, DicomWeb.count(back.body(), "\"0020000D\""), back.body());
    }
  }

  @Test
  void diskFull_stowAndPut507_nothingLeftBehind() throws Exception {
    t.close();
    t = TestServer.start(dir, b -> b.tempFiles(
        p -> FileChannel.open(Path.of("/dev/full"), StandardOpenOption.WRITE)));
    HttpResponse<String> stow = DicomWeb.stow(t, "/studies", List.of(ct.build()));
    assertEquals(507, stow.statusCode(), stow.body());
    assertEquals("insufficient-storage", TestServer.field(stow.body(), "error"));
    HttpResponse<String> put = t.upload("PUT",
        "/studies/1.2.3.10/series/1.2.3.10.1/instances/1.2.3.10.1.1", ct.build());
    assertEquals(507, put.statusCode(), put.body());
    assertEquals(List.of(), t.incomingFiles());
    assertFalse(Files.exists(dir.resolve("1.2.3.10").resolve("1.2.3.10.1")
        .resolve("1.2.3.10.1.1" + InstanceStore.SUFFIX)));
  }

  @Test
  void head_provesHeaderAndLength_notMiddleSegments() throws Exception {
    DicomFiles big = new DicomFiles().uids("1.2.3.60", "1.2.3.60.1", "1.2.3.60.1.1");
    big.rows = 256;
    big.columns = 256;
    big.frames = 4; // 512 KiB: 9 segments
    assertEquals(200, DicomWeb.stow(t, "/studies", List.of(big.build())).statusCode());
    String path = "/studies/1.2.3.60/series/1.2.3.60.1/instances/1.2.3.60.1.1";
    Path file = t.storedFile("1.2.3.60", "1.2.3.60.1", "1.2.3.60.1.1");
    HttpRequest head = t.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
    long size = Files.size(file);

    flip(file, size / 2); // a middle segment
    assertEquals(200, t.send(head).statusCode(), "HEAD does not read middle segments");
    // GET reaches the damaged segment after the status went out: the connection is cut short.
    org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> t.get(path));

    flip(file, size / 2);
    flip(file, size - 5); // the last segment's tag
    HttpResponse<String> tampered = t.send(head);
    assertEquals(500, tampered.statusCode(), "HEAD authenticates the last segment");
  }

  private static void flip(Path file, long at) throws Exception {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
      c.read(b, at);
      b.flip();
      b.put(0, (byte) (b.get(0) ^ 1));
      c.write(b, at);
    }
  }
}
