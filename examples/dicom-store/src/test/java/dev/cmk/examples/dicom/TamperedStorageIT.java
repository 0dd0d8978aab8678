package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stored files that were tampered with, truncated or moved: the server answers 500 {@code
 * stored-instance-failed-authentication} when it finds out before the response started, aborts
 * the connection when it finds out while streaming, and never sends a byte of the failing segment
 * or after it. Ranges that do not touch a damaged segment are still served.
 */
@Timeout(120)
class TamperedStorageIT {
  private static final int S = EnvelopeCrypto.DEFAULT_SEGMENT_SIZE;
  private static final int TAG = 16;
  private static final String STUDY = "1.2.40.0.13.1";
  private static final String SERIES = "1.2.40.0.13.1.1";
  private static final int LENGTH = 16 * S + 1234; // 17 segments
  private static final int TAMPERED_SEGMENT = 5;

  @TempDir Path data;
  private TestServer t;
  private final byte[] plain = TestServer.dicom(7, LENGTH);

  @BeforeEach
  void start() throws IOException {
    t = TestServer.start(data);
  }

  @AfterEach
  void stop() {
    t.close();
  }

  @Test
  void tamperedSegment_rangeElsewhereServed_rangeInsideIs500() throws Exception {
    Path stored = put("1.1");
    flipByte(stored, segmentStart(stored, TAMPERED_SEGMENT) + 100);

    HttpResponse<byte[]> elsewhere = range("1.1", 2 * S, 2 * S + 99);
    HttpResponse<byte[]> inside = range("1.1", TAMPERED_SEGMENT * S + 10, TAMPERED_SEGMENT * S + 20);

    assertEquals(206, elsewhere.statusCode());
    assertArrayEquals(Arrays.copyOfRange(plain, 2 * S, 2 * S + 100), elsewhere.body());
    assertFailedAuthentication(inside);
  }

  @Test
  void tamperedSegment_wholeGet_isCutOffBeforeTheTamperedSegment() throws Exception {
    Path stored = put("1.2");
    flipByte(stored, segmentStart(stored, TAMPERED_SEGMENT) + 100);

    Received whole = receive(t.request(path("1.2")).GET().build());

    assertEquals(200, whole.status); // committed with the first segment, then aborted
    assertNotNull(whole.failure, "the client must see the body end early, not a shorter body");
    assertTrue(whole.bytes.length <= TAMPERED_SEGMENT * S, whole.bytes.length + " bytes sent");
    assertArrayEquals(Arrays.copyOf(plain, whole.bytes.length), whole.bytes);
  }

  @Test
  void tamperedSegment_rangeRunningIntoIt_isCutOffAtIt() throws Exception {
    Path stored = put("1.3");
    flipByte(stored, segmentStart(stored, TAMPERED_SEGMENT) + 100);
    long first = 3L * S + 5;

    Received r = receive(t.request(path("1.3"))
        .header("Range", "bytes=" + first + "-" + (8L * S)).GET().build());

    assertEquals(206, r.status);
    assertNotNull(r.failure);
    assertTrue(first + r.bytes.length <= (long) TAMPERED_SEGMENT * S);
    assertArrayEquals(
        Arrays.copyOfRange(plain, (int) first, (int) first + r.bytes.length), r.bytes);
  }

  @Test
  void truncatedFile_is500BeforeAnyByte() throws Exception {
    Path cutInSegment = put("2.1");
    truncate(cutInSegment, Files.size(cutInSegment) - 7);
    Path cutAtBoundary = put("2.2"); // drop the whole last segment: 16 complete segments remain
    truncate(cutAtBoundary, Files.size(cutAtBoundary) - (LENGTH - 16 * S) - TAG);

    assertFailedAuthentication(t.sendForBytes(t.request(path("2.1")).GET().build()));
    assertFailedAuthentication(range("2.1", 0, 99));
    assertEquals(500, t.sendForBytes(t.request(path("2.1"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build()).statusCode());
    assertFailedAuthentication(t.sendForBytes(t.request(path("2.2")).GET().build()));
    assertFailedAuthentication(range("2.2", 0, 99));
  }

  @Test
  void tamperedHeader_is500() throws Exception {
    Path stored = put("3.1");
    // The nonce prefix: the last 7 bytes before the 32-byte commitment tag.
    flipByte(stored, segmentStart(stored, 0) - 35);

    assertFailedAuthentication(t.sendForBytes(t.request(path("3.1")).GET().build()));
  }

  @Test
  void envelopeCopiedOntoAnotherInstance_doesNotDecryptThere() throws Exception {
    Path one = put("4.1");
    Path two = put("4.2");
    Files.copy(one, two, StandardCopyOption.REPLACE_EXISTING);

    assertFailedAuthentication(t.sendForBytes(t.request(path("4.2")).GET().build()));
    assertEquals(200, t.sendForBytes(t.request(path("4.1")).GET().build()).statusCode());
  }

  // ------------------------------------------------------------------ helpers

  private static String path(String sop) {
    return TestServer.instancePath(STUDY, SERIES, sop);
  }

  private Path put(String sop) throws Exception {
    assertEquals(201, t.upload("PUT", path(sop), plain).statusCode());
    return t.storedFile(STUDY, SERIES, sop);
  }

  private HttpResponse<byte[]> range(String sop, long first, long last) throws Exception {
    return t.sendForBytes(
        t.request(path(sop)).header("Range", "bytes=" + first + "-" + last).GET().build());
  }

  private void assertFailedAuthentication(HttpResponse<byte[]> response) {
    String body = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(500, response.statusCode(), body);
    assertEquals("stored-instance-failed-authentication", TestServer.field(body, "error"));
    assertTrue(response.headers().firstValue("Content-Range").isEmpty());
    assertFalse(body.contains("DICM"));
  }

  private static long segmentStart(Path stored, int segment) throws IOException {
    int header;
    try (InputStream in = Files.newInputStream(stored)) {
      header = EnvelopeInfo.read(in).headerLength();
    }
    return header + (long) segment * (S + TAG);
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x01)).rewind();
      ch.write(one, position);
    }
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  /** What a client received of a response whose body may be cut off. */
  private static final class Received {
    int status;
    byte[] bytes;
    IOException failure;
  }

  private Received receive(HttpRequest request) throws Exception {
    HttpResponse<InputStream> response =
        t.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    Received r = new Received();
    r.status = response.statusCode();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (InputStream in = response.body()) {
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        got.write(buffer, 0, n);
      }
    } catch (IOException e) {
      r.failure = e;
    }
    r.bytes = got.toByteArray();
    return r;
  }
}
