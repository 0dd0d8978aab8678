package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.testkit.Fault;
import dev.cmk.testkit.Operation;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loss of access to the customer-managed key, over HTTP: disabled key &rarr; 500 with the reason;
 * re-enabled within the 30-minute grace window &rarr; works again by itself; after the window
 * &rarr; 500 until {@code POST /$cmk-refresh}; transient provider trouble refuses writes only.
 */
@Timeout(120)
class KeyAccessIT {
  private static final String A = TestServer.instancePath("1.2.3", "1.2.3.4", "1.2.3.4.5");
  private static final String B = TestServer.instancePath("1.2.3", "1.2.3.4", "1.2.3.4.6");

  @TempDir Path data;
  private TestServer t;
  private final byte[] a = TestServer.dicom(1, 300_000);
  private final byte[] b = TestServer.dicom(2, 200_000);

  @BeforeEach
  void start() throws Exception {
    t = TestServer.start(data);
    assertEquals(201, t.upload("POST", A, a).statusCode());
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void disabledKey_everyRequestNeedingTheKeyIs500WithTheReason() throws Exception {
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();

    HttpResponse<String> get = t.get(A);
    HttpResponse<String> range = t.send(t.request(A).header("Range", "bytes=0-99").GET().build());
    HttpResponse<String> head =
        t.send(t.request(A).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    HttpResponse<String> put = t.upload("PUT", B, b);

    for (HttpResponse<String> r : List.of(get, range, put)) {
      assertEquals(500, r.statusCode(), r.body());
      assertEquals("customer-managed-key-not-accessible", TestServer.field(r.body(), "error"));
      assertTrue(TestServer.field(r.body(), "message")
          .startsWith("The customer-managed key is not accessible"), r.body());
      assertTrue(TestServer.field(r.body(), "message").contains("local:dicom-kek"), r.body());
      assertEquals("KEY_DISABLED", TestServer.field(r.body(), "cause"));
      assertEquals("UNAVAILABLE", TestServer.field(r.body(), "keyState"));
      assertEquals("false", TestServer.field(r.body(), "refreshRequired"));
    }
    assertEquals(500, head.statusCode());
    assertFalse(Files.exists(t.storedFile("1.2.3", "1.2.3.4", "1.2.3.4.6")), "B was stored");
    assertEquals(List.of(), t.incomingFiles());
    HttpResponse<String> status = t.get(DicomStoreHandler.STATUS_PATH);
    assertEquals(200, status.statusCode());
    assertEquals("UNAVAILABLE", TestServer.field(status.body(), "state"));
    assertEquals("KEY_DISABLED", TestServer.field(status.body(), "cause"));
    assertEquals("1800", TestServer.field(status.body(), "graceRemainingSeconds"));
  }

  @Test
  void disabledKey_uploadWithExpectContinue_isRefusedBeforeTheBodyIsSent() throws Exception {
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();

    // A raw socket, because the JDK 17 HttpClient hangs on a final status in answer to
    // Expect: 100-continue (JDK-8286171). Jetty sends "100 Continue" only when the handler reads
    // the body; this one answers first, so 64 MiB are never sent.
    try (Socket socket = new Socket("127.0.0.1", t.server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT " + B + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/dicom\r\nContent-Length: " + (64 << 20) + "\r\n"
          + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(
          new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));

      String statusLine = in.readLine();
      String line;
      int contentLength = -1;
      while (!(line = in.readLine()).isEmpty()) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          contentLength = Integer.parseInt(line.substring("content-length:".length()).trim());
        }
      }
      char[] body = new char[contentLength];
      int n = 0;
      while (n < contentLength) {
        n += in.read(body, n, contentLength - n);
      }

      assertTrue(statusLine.startsWith("HTTP/1.1 500 "), statusLine);
      assertEquals("customer-managed-key-not-accessible",
          TestServer.field(new String(body), "error"));
    }
    assertFalse(Files.exists(t.storedFile("1.2.3", "1.2.3.4", "1.2.3.4.6")));
    assertEquals(List.of(), t.incomingFiles());
  }

  @Test
  void reEnabledWithinGrace_recoversByItself() throws Exception {
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();
    assertEquals(500, t.get(A).statusCode());

    t.kms.setEnabled(t.keyVersion, true);
    t.clock.advance(Duration.ofSeconds(5)); // the first probe back-off

    HttpResponse<byte[]> get = t.sendForBytes(t.request(A).GET().build());
    assertEquals(200, get.statusCode());
    assertArrayEquals(a, get.body());
    assertEquals(201, t.upload("PUT", B, b).statusCode());
    assertEquals("AVAILABLE", TestServer.field(t.get(DicomStoreHandler.STATUS_PATH).body(), "state"));
  }

  @Test
  void afterGrace_500UntilRefresh() throws Exception {
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();
    assertEquals(500, t.get(A).statusCode());
    t.clock.advance(Duration.ofMinutes(31));
    t.kms.setEnabled(t.keyVersion, true);
    t.clock.advance(Duration.ofMinutes(1));

    HttpResponse<String> locked = t.get(A);
    assertEquals(500, locked.statusCode());
    assertEquals("true", TestServer.field(locked.body(), "refreshRequired"));
    assertEquals("REFRESH_REQUIRED", TestServer.field(locked.body(), "keyState"));
    assertEquals("REFRESH_REQUIRED",
        TestServer.field(t.get(DicomStoreHandler.STATUS_PATH).body(), "state"));
    assertEquals(405, t.get(DicomStoreHandler.REFRESH_PATH).statusCode());

    HttpResponse<String> refresh =
        t.send(t.request(DicomStoreHandler.REFRESH_PATH)
            .POST(HttpRequest.BodyPublishers.noBody()).build());

    assertEquals(200, refresh.statusCode(), refresh.body());
    assertEquals("AVAILABLE", TestServer.field(refresh.body(), "state"));
    assertEquals(t.keyVersion.toString(), TestServer.field(refresh.body(), "currentVersion"));
    HttpResponse<byte[]> get = t.sendForBytes(t.request(A).GET().build());
    assertEquals(200, get.statusCode());
    assertArrayEquals(a, get.body());
  }

  @Test
  void refresh_whileTheKeyIsStillDisabled_is500AndStaysLocked() throws Exception {
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();
    t.clock.advance(Duration.ofMinutes(31));

    HttpResponse<String> refresh =
        t.send(t.request(DicomStoreHandler.REFRESH_PATH)
            .POST(HttpRequest.BodyPublishers.noBody()).build());

    assertEquals(500, refresh.statusCode());
    assertEquals("customer-managed-key-not-accessible", TestServer.field(refresh.body(), "error"));
    assertEquals(500, t.get(A).statusCode());
  }

  @Test
  void providerUnavailable_writesRefused_readsServedFromTheCachedDataKey() throws Exception {
    t.kms.setFault(Operation.DESCRIBE, Fault.transientFailure(Duration.ofSeconds(30)));
    t.afterProbeInterval();

    HttpResponse<String> put = t.upload("PUT", B, b);
    HttpResponse<byte[]> get = t.sendForBytes(t.request(A).GET().build());

    assertEquals(500, put.statusCode(), put.body());
    assertEquals("customer-managed-key-not-accessible", TestServer.field(put.body(), "error"));
    assertTrue(put.body().contains("could not be confirmed"), put.body());
    assertFalse(Files.exists(t.storedFile("1.2.3", "1.2.3.4", "1.2.3.4.6")));
    assertEquals(200, get.statusCode());
    assertArrayEquals(a, get.body());

    t.kms.clearFaults();
    t.clock.advance(Duration.ofSeconds(30));
    assertEquals(201, t.upload("PUT", B, b).statusCode());
  }

  @Test
  void delete_needsNoKey() throws Exception {
    t.kms.setEnabled(t.keyVersion, false);
    t.afterProbeInterval();

    HttpResponse<String> delete = t.send(t.request(A).DELETE().build());

    assertEquals(204, delete.statusCode());
    assertEquals(404, t.get(A).statusCode());
  }
}
