package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP contract: statuses, headers, validation, ranges, conflicts and failed uploads. */
@Timeout(120)
class DicomStoreHttpIT {
  private static final String STUDY = "1.2.840.113619.2.55.3";
  private static final String SERIES = "1.2.840.113619.2.55.3.1";

  @TempDir Path data;
  private TestServer t;

  @BeforeEach
  void start() throws IOException {
    t = TestServer.start(data.resolve("store"));
  }

  @AfterEach
  void stop() {
    t.close();
  }

  private static String path(String sop) {
    return TestServer.instancePath(STUDY, SERIES, sop);
  }

  @Test
  void post_thenGet_roundTripsWithItsHeaders() throws Exception {
    byte[] body = TestServer.dicom(1, 100_000);

    HttpResponse<String> post = t.upload("POST", path("1"), body);
    HttpResponse<byte[]> get = t.sendForBytes(t.request(path("1")).GET().build());

    assertEquals(201, post.statusCode(), post.body());
    assertEquals(path("1"), post.headers().firstValue("Location").orElseThrow());
    assertEquals("true", TestServer.field(post.body(), "created"));
    assertEquals("100000", TestServer.field(post.body(), "length"));
    assertEquals(SERIES, TestServer.field(post.body(), "seriesInstanceUid"));
    assertEquals(200, get.statusCode());
    assertArrayEquals(body, get.body());
    assertEquals("application/dicom", get.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("bytes", get.headers().firstValue("Accept-Ranges").orElseThrow());
    assertTrue(get.headers().firstValue("ETag").orElseThrow().matches("\"[0-9a-f]{32}\""));
  }

  @Test
  void post_ofAnExistingInstance_is409_put_replacesIt() throws Exception {
    byte[] first = TestServer.dicom(1, 5000);
    byte[] second = TestServer.dicom(2, 7000);
    assertEquals(201, t.upload("POST", path("2"), first).statusCode());
    String etag1 = t.get(path("2")).headers().firstValue("ETag").orElseThrow();

    HttpResponse<String> again = t.upload("POST", path("2"), second);
    HttpResponse<String> put = t.upload("PUT", path("2"), second);
    HttpResponse<byte[]> get = t.sendForBytes(t.request(path("2")).GET().build());

    assertEquals(409, again.statusCode());
    assertEquals("already-exists", TestServer.field(again.body(), "error"));
    assertEquals(200, put.statusCode());
    assertEquals("false", TestServer.field(put.body(), "created"));
    assertArrayEquals(second, get.body());
    assertNotEquals(etag1, get.headers().firstValue("ETag").orElseThrow());
  }

  @Test
  void concurrentPosts_ofOneInstance_exactlyOneWins() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<byte[]> bodies = new ArrayList<>();
    List<Future<HttpResponse<String>>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        byte[] body = TestServer.dicom(10 + i, 300_000);
        bodies.add(body);
        Callable<HttpResponse<String>> post = () -> t.upload("POST", path("3"), body);
        results.add(pool.submit(post));
      }
      int winner = -1;
      for (int i = 0; i < 4; i++) {
        int status = results.get(i).get().statusCode();
        assertTrue(status == 201 || status == 409, "status " + status);
        if (status == 201) {
          assertEquals(-1, winner, "two POSTs created the instance");
          winner = i;
        }
      }
      assertTrue(winner >= 0);
      assertArrayEquals(bodies.get(winner), t.sendForBytes(t.request(path("3")).GET().build()).body());
      assertEquals(List.of(), t.incomingFiles());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void head_sendsTheHeadersOfGetWithoutABody_andIgnoresRange() throws Exception {
    assertEquals(201, t.upload("PUT", path("4"), TestServer.dicom(4, 200_000)).statusCode());
    String etag = t.get(path("4")).headers().firstValue("ETag").orElseThrow();

    HttpResponse<byte[]> head = t.sendForBytes(
        t.request(path("4")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    // RFC 9110 section 14.2: Range is defined for GET only and MUST be ignored on HEAD.
    HttpResponse<byte[]> headRange = t.sendForBytes(t.request(path("4"))
        .header("Range", "bytes=10-19").method("HEAD", HttpRequest.BodyPublishers.noBody())
        .build());
    HttpResponse<byte[]> headRangeIfRange = t.sendForBytes(t.request(path("4"))
        .header("Range", "bytes=0-0").header("If-Range", etag)
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    HttpResponse<byte[]> headPastTheEnd = t.sendForBytes(t.request(path("4"))
        .header("Range", "bytes=200000-").method("HEAD", HttpRequest.BodyPublishers.noBody())
        .build());

    for (HttpResponse<byte[]> r : List.of(head, headRange, headRangeIfRange, headPastTheEnd)) {
      assertEquals(200, r.statusCode(), r.request().headers().map().toString());
      assertEquals("200000", r.headers().firstValue("Content-Length").orElseThrow());
      assertTrue(r.headers().firstValue("Content-Range").isEmpty());
      assertEquals(etag, r.headers().firstValue("ETag").orElseThrow());
      assertEquals(0, r.body().length);
    }
  }

  /**
   * A GET sent as raw HTTP/1.1, so that repeated field lines reach the server as separate lines
   * (the JDK client would merge or refuse them); returns the whole response.
   */
  private byte[] rawGet(String path, String... fieldLines) throws IOException {
    StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n");
    for (String line : fieldLines) {
      request.append(line).append("\r\n");
    }
    request.append("Connection: close\r\n\r\n");
    try (java.net.Socket socket = new java.net.Socket(t.uri("/").getHost(), t.uri("/").getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(
          request.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return socket.getInputStream().readAllBytes();
    }
  }

  private static void assertWhole200(byte[] body, byte[] response) {
    String head = new String(response, 0, Math.min(response.length, 2048),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    int bodyStart = head.indexOf("\r\n\r\n") + 4;
    assertTrue(head.startsWith("HTTP/1.1 200 "), head);
    assertTrue(head.toLowerCase(java.util.Locale.ROOT)
        .contains("content-length: " + body.length + "\r\n"), head);
    assertFalse(head.toLowerCase(java.util.Locale.ROOT).contains("content-range"), head);
    assertArrayEquals(body, Arrays.copyOfRange(response, bodyStart, response.length));
  }

  @Test
  void get_withTwoRangeFieldLines_ignoresRange_sendsTheWhole() throws Exception {
    byte[] body = TestServer.dicom(12, 1000);
    assertEquals(201, t.upload("PUT", path("12"), body).statusCode());

    assertWhole200(body, rawGet(path("12"), "Range: bytes=0-1", "Range: bytes=5-6"));
  }

  @Test
  void get_withTwoIfRangeFieldLines_ignoresRange_sendsTheWhole() throws Exception {
    byte[] body = TestServer.dicom(14, 1000);
    assertEquals(201, t.upload("PUT", path("14"), body).statusCode());
    String etag = t.get(path("14")).headers().firstValue("ETag").orElseThrow();
    // Control: one If-Range line with the current ETag does get the range.
    HttpResponse<byte[]> ranged = t.sendForBytes(t.request(path("14"))
        .header("Range", "bytes=0-1").header("If-Range", etag).GET().build());
    assertEquals(206, ranged.statusCode());

    // Each line holds the current ETag, yet two lines are not a valid If-Range.
    assertWhole200(body,
        rawGet(path("14"), "Range: bytes=0-1", "If-Range: " + etag, "If-Range: " + etag));
  }

  @Test
  void concurrentPuts_ofANewInstance_exactlyOneIs201_theOthers200() throws Exception {
    int clients = 6;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      for (int round = 0; round < 15; round++) {
        String p = path("13." + round);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(clients);
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
          byte[] body = TestServer.dicom(round * 100L + i, 20_000);
          results.add(pool.submit(() -> {
            start.await(10, java.util.concurrent.TimeUnit.SECONDS);
            return t.upload("PUT", p, body);
          }));
        }
        int created = 0;
        for (Future<HttpResponse<String>> r : results) {
          HttpResponse<String> response = r.get(60, java.util.concurrent.TimeUnit.SECONDS);
          assertTrue(response.statusCode() == 201 || response.statusCode() == 200,
              response.statusCode() + " " + response.body());
          assertEquals(Boolean.toString(response.statusCode() == 201),
              TestServer.field(response.body(), "created"));
          created += response.statusCode() == 201 ? 1 : 0;
        }
        assertEquals(1, created, "round " + round + ": PUTs answered 201 Created");
      }
      assertEquals(List.of(), t.incomingFiles());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void delete_removesTheInstance() throws Exception {
    assertEquals(201, t.upload("PUT", path("5"), TestServer.dicom(5, 1000)).statusCode());

    assertEquals(204, t.send(t.request(path("5")).DELETE().build()).statusCode());
    assertEquals(404, t.get(path("5")).statusCode());
    assertEquals("instance-not-found", TestServer.field(t.get(path("5")).body(), "error"));
    assertEquals(404, t.send(t.request(path("5")).DELETE().build()).statusCode());
    assertFalse(Files.exists(t.storedFile(STUDY, SERIES, "5")));
  }

  @Test
  void upload_thatIsNotDicom_isRefusedAndNothingIsStored() throws Exception {
    byte[] dicom = TestServer.dicom(6, 1000);
    byte[] noPrefix = dicom.clone();
    noPrefix[128] = 'X';

    HttpResponse<String> noType = t.send(t.request(path("6"))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(dicom)).build());
    HttpResponse<String> text = t.send(t.request(path("6")).header("Content-Type", "text/plain")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(dicom)).build());
    HttpResponse<String> notDicom = t.upload("PUT", path("6"), noPrefix);
    HttpResponse<String> tooShort = t.upload("PUT", path("6"), Arrays.copyOf(dicom, 131));

    assertEquals(415, noType.statusCode());
    assertEquals(415, text.statusCode());
    assertEquals("unsupported-media-type", TestServer.field(text.body(), "error"));
    assertEquals(400, notDicom.statusCode());
    assertEquals("not-dicom", TestServer.field(notDicom.body(), "error"));
    assertEquals(400, tooShort.statusCode());
    assertEquals(404, t.get(path("6")).statusCode());
    assertEquals(List.of(), t.incomingFiles());

    HttpResponse<String> withParameters = t.send(t.request(path("6"))
        .header("Content-Type", "Application/DICOM; transfer-syntax=1.2.840.10008.1.2.1")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(dicom)).build());
    assertEquals(201, withParameters.statusCode());
  }

  @Test
  void invalidUids_are400_andNeverReachTheFileSystem() throws Exception {
    byte[] body = TestServer.dicom(7, 1000);
    String tooLong = "1." + "2".repeat(63);
    for (String bad : List.of("1.2.03", "1..2", ".1", "1.", "abc", "1.2.3a", tooLong, "%2E%2E")) {
      String p = TestServer.instancePath(bad, SERIES, "1");
      HttpResponse<String> put = t.upload("PUT", p, body);
      HttpResponse<String> get = t.get(p);
      assertEquals(400, put.statusCode(), bad);
      assertEquals(400, get.statusCode(), bad);
      if (!bad.startsWith("%")) { // Jetty itself refuses an encoded dot segment
        assertEquals("invalid-uid", TestServer.field(get.body(), "error"), bad);
      }
    }
    assertEquals(400, t.get("/studies/1/series/2/instances/..%2F..%2Fetc").statusCode());
    assertEquals(404, t.get("/studies/1/series/2").statusCode());
    assertEquals(404, t.get("/studies/1/series/2/instances/3/frames/1").statusCode());
    try (var files = Files.list(t.dataDirectory)) {
      assertEquals(List.of(t.dataDirectory.resolve(InstanceStore.INCOMING)), files.toList());
    }
  }

  @Test
  void ranges_edgeCases() throws Exception {
    byte[] body = TestServer.dicom(8, 10_000);
    assertEquals(201, t.upload("PUT", path("8"), body).statusCode());
    String etag = t.get(path("8")).headers().firstValue("ETag").orElseThrow();

    assertWhole(body, "bytes=0-1,5-6", null); // several ranges: ignored
    assertWhole(body, "bytes=5-2", null); // invalid: ignored
    assertWhole(body, "items=0-5", null); // other unit: ignored
    assertWhole(body, "bytes=0-9", "\"0123456789abcdef0123456789abcdef\""); // stale If-Range
    assertWhole(body, "bytes=0-9", "W/" + etag); // weak never matches

    HttpResponse<byte[]> fresh = t.sendForBytes(t.request(path("8"))
        .header("Range", "bytes=0-9").header("If-Range", etag).GET().build());
    assertEquals(206, fresh.statusCode());
    assertArrayEquals(Arrays.copyOf(body, 10), fresh.body());

    HttpResponse<String> zeroSuffix =
        t.send(t.request(path("8")).header("Range", "bytes=-0").GET().build());
    assertEquals(416, zeroSuffix.statusCode());
    assertEquals("bytes */10000", zeroSuffix.headers().firstValue("Content-Range").orElseThrow());
    HttpResponse<byte[]> hugeSuffix = t.sendForBytes(
        t.request(path("8")).header("Range", "bytes=-99999999999999999999999").GET().build());
    assertEquals(206, hugeSuffix.statusCode());
    assertArrayEquals(body, hugeSuffix.body());
  }

  private void assertWhole(byte[] body, String range, String ifRange) throws Exception {
    HttpRequest.Builder b = t.request(path("8")).header("Range", range);
    if (ifRange != null) {
      b.header("If-Range", ifRange);
    }
    HttpResponse<byte[]> r = t.sendForBytes(b.GET().build());
    assertEquals(200, r.statusCode(), range);
    assertTrue(r.headers().firstValue("Content-Range").isEmpty(), range);
    assertArrayEquals(body, r.body(), range);
  }

  @Test
  void upload_largerThanTheMaximum_is413AndNothingIsStored() throws Exception {
    try (TestServer small = TestServer.start(data.resolve("small"), 1 << 20)) {
      SyntheticDicom big = new SyntheticDicom(9, 2 << 20);
      String p = path("9");

      HttpResponse<String> declared = small.send(small.request(p)
          .header("Content-Type", "application/dicom")
          .PUT(HttpRequest.BodyPublishers.fromPublisher(
              HttpRequest.BodyPublishers.ofInputStream(big::open), big.length()))
          .build());
      HttpResponse<String> chunked = small.send(small.request(p)
          .header("Content-Type", "application/dicom")
          .PUT(HttpRequest.BodyPublishers.ofInputStream(big::open))
          .build());

      assertEquals(413, declared.statusCode());
      assertEquals(413, chunked.statusCode());
      assertEquals("too-large", TestServer.field(chunked.body(), "error"));
      assertEquals(404, small.get(p).statusCode());
      assertEquals(List.of(), small.incomingFiles());
    }
  }

  @Test
  void upload_cutOffByTheClient_leavesNothingBehind() throws Exception {
    SyntheticDicom instance = new SyntheticDicom(10, 8 << 20);
    HttpRequest failing = t.request(path("10"))
        .header("Content-Type", "application/dicom")
        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new InputStream() {
          private final InputStream in = instance.open();
          private long sent;

          @Override
          public int read() throws IOException {
            throw new UnsupportedOperationException();
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (sent > 3 << 20) {
              throw new IOException("client gave up");
            }
            int n = in.read(b, off, len);
            sent += Math.max(0, n);
            return n;
          }
        }))
        .build();

    assertThrows(IOException.class, () -> t.send(failing));

    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (!t.incomingFiles().isEmpty() && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
    }
    assertEquals(List.of(), t.incomingFiles(), "the partial upload was not removed");
    assertEquals(404, t.get(path("10")).statusCode());
    assertEquals(201, t.upload("PUT", path("10"), TestServer.dicom(10, 1000)).statusCode());
  }

  @Test
  void otherMethodsAndPaths() throws Exception {
    HttpResponse<String> patch = t.send(t.request(path("11"))
        .method("PATCH", HttpRequest.BodyPublishers.noBody()).build());
    HttpResponse<String> getRefresh = t.get(DicomStoreHandler.REFRESH_PATH);
    HttpResponse<String> postStatus = t.send(t.request(DicomStoreHandler.STATUS_PATH)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
    HttpResponse<String> status = t.get(DicomStoreHandler.STATUS_PATH);

    assertEquals(405, patch.statusCode());
    assertEquals("GET, HEAD, POST, PUT, DELETE", patch.headers().firstValue("Allow").orElseThrow());
    assertEquals(405, getRefresh.statusCode());
    assertEquals("POST", getRefresh.headers().firstValue("Allow").orElseThrow());
    assertEquals(405, postStatus.statusCode());
    assertEquals(404, t.get("/").statusCode());
    assertEquals(200, status.statusCode());
    assertEquals("AVAILABLE", TestServer.field(status.body(), "state"));
    assertEquals("local:dicom-kek", TestServer.field(status.body(), "configuredKey"));
    assertEquals(t.keyVersion.toString(), TestServer.field(status.body(), "currentVersion"));
  }
}
