package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MiB instance through a real server and the JDK HTTP client in one JVM whose heap is 96 MiB
 * (Failsafe {@code argLine}): upload, whole download, ranges; hashes against the generator; no
 * plaintext on disk; ranges read only the segments they need.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(120)
class LargeInstanceIT {
  private static final long SIZE = 200L << 20;
  private static final int SEGMENT = EnvelopeCrypto.DEFAULT_SEGMENT_SIZE;
  private static final String STUDY = "1.2.826.0.1.3680043.8.498.1";
  private static final String SERIES = "1.2.826.0.1.3680043.8.498.1.1";
  private static final String SOP = "1.2.826.0.1.3680043.8.498.1.1.1";
  private static final String PATH = TestServer.instancePath(STUDY, SERIES, SOP);

  @TempDir static Path data;
  private TestServer t;
  private final SyntheticDicom instance = new SyntheticDicom(0x5EED_D1C0L, SIZE);

  @BeforeAll
  void start() throws IOException {
    assertTrue(
        Runtime.getRuntime().maxMemory() <= 128L << 20,
        "the IT JVM must run with a small heap (-Xmx96m) for this test to prove streaming; max is "
            + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
    t = TestServer.start(data);
  }

  @AfterAll
  void stop() {
    if (t != null) {
      t.close();
    }
  }

  @Test
  @Order(1)
  void put_200MiB_streamsToAnEnvelopeOnDisk() throws Exception {
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    HttpRequest request =
        t.request(PATH)
            .header("Content-Type", "application/dicom")
            .PUT(
                HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new DigestInputStream(instance.open(), sent)),
                    SIZE))
            .build();

    HttpResponse<String> response = t.send(request);

    assertEquals(201, response.statusCode(), response.body());
    assertEquals(String.valueOf(SIZE), TestServer.field(response.body(), "length"));
    assertArrayEquals(instance.sha256(0, SIZE), sent.digest(), "generator is deterministic");
    Path stored = t.storedFile(STUDY, SERIES, SOP);
    EnvelopeInfo info;
    try (InputStream in = Files.newInputStream(stored)) {
      info = EnvelopeInfo.read(in);
    }
    assertEquals(
        EnvelopeInfo.envelopeLength(SIZE, info.headerLength(), SEGMENT),
        Files.size(stored),
        "header + plaintext + 16 bytes per 64 KiB segment");
    assertEquals(List.of(), t.incomingFiles());
  }

  @Test
  @Order(2)
  void storedFile_containsNoPlaintext() throws IOException {
    Path stored = t.storedFile(STUDY, SERIES, SOP);
    assertFalse(contains(stored, SyntheticDicom.MARKER), "plaintext marker found on disk");
    // Sanity check of the search itself: the marker is in the plaintext, three times.
    assertTrue(contains(instance.open(), SyntheticDicom.MARKER));
  }

  @Test
  @Order(3)
  void get_whole_matchesTheGeneratorHash() throws Exception {
    HttpResponse<InputStream> response =
        t.http.send(t.request(PATH).GET().build(), HttpResponse.BodyHandlers.ofInputStream());

    assertEquals(200, response.statusCode());
    assertEquals(String.valueOf(SIZE), response.headers().firstValue("Content-Length").orElseThrow());
    assertEquals("application/dicom", response.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("bytes", response.headers().firstValue("Accept-Ranges").orElseThrow());
    byte[] received;
    try (InputStream body = response.body()) {
      received = SyntheticDicom.sha256(body);
    }
    assertEquals(HexFormat.of().formatHex(instance.sha256(0, SIZE)),
        HexFormat.of().formatHex(received));
  }

  @Test
  @Order(4)
  void get_ranges_matchTheGenerator() throws Exception {
    long middle = 1600L * SEGMENT - 1000; // crosses into the next segment
    long[][] ranges = {
      {0, 1023}, // start: preamble and DICM
      {middle, middle + 300_000 - 1}, // middle, across five segment boundaries
      {SIZE - 5000, SIZE - 1}, // last bytes
      {50_000_000, 70_000_000 - 1}, // a large range, streamed
      {1_000_000, SIZE - 1_000_001}, // 198 MiB: larger than this JVM's 96 MiB heap, so only a
                                     // range served in constant memory can pass
    };
    for (long[] r : ranges) {
      assertRange("bytes=" + r[0] + "-" + r[1], r[0], r[1]);
    }
    assertRange("bytes=-70000", SIZE - 70_000, SIZE - 1); // suffix, across the last boundary
    assertRange("bytes=" + (SIZE - 100) + "-", SIZE - 100, SIZE - 1); // open-ended
    assertRange("bytes=" + (SIZE - 10) + "-" + (SIZE + 1000), SIZE - 10, SIZE - 1); // clamped
  }

  @Test
  @Order(5)
  void get_rangeStartingBeyondTheEnd_is416WithTheLength() throws Exception {
    HttpResponse<String> response =
        t.send(t.request(PATH).header("Range", "bytes=" + SIZE + "-").GET().build());

    assertEquals(416, response.statusCode());
    assertEquals("bytes */" + SIZE, response.headers().firstValue("Content-Range").orElseThrow());
    assertEquals("range-not-satisfiable", TestServer.field(response.body(), "error"));
  }

  @Test
  @Order(6)
  void get_smallRange_readsOnlyTheSegmentsItNeeds() throws Exception {
    Path io = Path.of("/proc/self/io");
    assumeTrue(Files.isReadable(io), "needs Linux /proc");
    long offset = 120_000_000;
    assertRange("bytes=" + offset + "-" + (offset + 999), offset, offset + 999); // warm up

    long before = bytesRead(io);
    assertRange("bytes=" + (offset + 70_000) + "-" + (offset + 70_999), offset + 70_000,
        offset + 70_999);
    long read = bytesRead(io) - before;

    // Header + last segment (proves the length) + the one segment holding the range, plus HTTP:
    // about 135 KB. Decrypting the whole 200 MiB would read it all.
    assertTrue(read < 1 << 20, "a 1000-byte range read " + read + " bytes");
  }

  private void assertRange(String header, long first, long last) throws Exception {
    HttpResponse<InputStream> response =
        t.http.send(
            t.request(PATH).header("Range", header).GET().build(),
            HttpResponse.BodyHandlers.ofInputStream());
    long count = last - first + 1;
    assertEquals(206, response.statusCode(), header);
    assertEquals(
        "bytes " + first + "-" + last + "/" + SIZE,
        response.headers().firstValue("Content-Range").orElseThrow(),
        header);
    assertEquals(String.valueOf(count),
        response.headers().firstValue("Content-Length").orElseThrow(), header);
    byte[] received;
    try (InputStream body = response.body()) {
      received = SyntheticDicom.sha256(body);
    }
    assertArrayEquals(instance.sha256(first, count), received, header);
  }

  private static long bytesRead(Path io) throws IOException {
    for (String line : Files.readAllLines(io)) {
      if (line.startsWith("rchar:")) {
        return Long.parseLong(line.substring("rchar:".length()).trim());
      }
    }
    throw new IllegalStateException("no rchar in /proc/self/io");
  }

  private static boolean contains(Path file, byte[] needle) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return contains(in, needle);
    }
  }

  /** Streaming search; keeps the last needle.length-1 bytes between buffers. */
  private static boolean contains(InputStream in, byte[] needle) throws IOException {
    byte[] buffer = new byte[1 << 20];
    int kept = 0;
    int n;
    while ((n = in.read(buffer, kept, buffer.length - kept)) >= 0) {
      int end = kept + n;
      for (int i = 0; i + needle.length <= end; i++) {
        if (buffer[i] == needle[0]
            && Arrays.equals(buffer, i, i + needle.length, needle, 0, needle.length)) {
          return true;
        }
      }
      kept = Math.min(needle.length - 1, end);
      System.arraycopy(buffer, end - kept, buffer, 0, kept);
    }
    return false;
  }
}
