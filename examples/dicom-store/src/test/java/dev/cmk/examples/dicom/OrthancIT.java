package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Orthanc (Debian's {@code orthanc} with the {@code orthanc-dicomweb} plugin, written by others)
 * uses the store as its remote DICOMweb server: an instance uploaded to Orthanc is sent to the
 * store with STOW-RS, deleted from Orthanc, found again through QIDO-RS and retrieved back with
 * WADO-RS; Orthanc then holds it bit for bit as uploaded.
 */
@Timeout(300)
class OrthancIT {
  private static final String ORTHANC = "/usr/sbin/Orthanc";
  private static final String PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
  private static final Pattern ID = Pattern.compile("\"ID\"\\s*:\\s*\"([^\"]+)\"");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void orthanc_stowsToTheStore_retrievesBack_bitIdentical() throws Exception {
    if (!Files.isExecutable(Path.of(ORTHANC)) || !Files.exists(Path.of(PLUGIN))) {
      ExternalTools.missing("Orthanc with its DICOMweb plugin (apt-get install orthanc"
          + " orthanc-dicomweb)");
    }
    DicomFiles d = new DicomFiles().uids("1.2.3.90", "1.2.3.90.1", "1.2.3.90.1.1");
    d.rows = 64;
    d.columns = 64;
    d.frames = 3;
    d.sopClass = DicomFiles.MF_GRAYSCALE_WORD_SC;
    d.patientId = "ORTHANC-PID-1";
    byte[] original = d.build();

    try (TestServer t = TestServer.start(dir.resolve("data"))) {
      int port = freePort();
      Path config = dir.resolve("orthanc.json");
      Files.writeString(config, "{\n"
          + "  \"Name\": \"cmk-orthanc-it\",\n"
          + "  \"StorageDirectory\": \"" + dir.resolve("orthanc-storage") + "\",\n"
          + "  \"IndexDirectory\": \"" + dir.resolve("orthanc-index") + "\",\n"
          + "  \"HttpPort\": " + port + ",\n"
          + "  \"DicomPort\": " + freePort() + ",\n"
          + "  \"DicomServerEnabled\": false,\n"
          + "  \"RemoteAccessAllowed\": false,\n"
          + "  \"AuthenticationEnabled\": false,\n"
          + "  \"HttpTimeout\": 60,\n"
          + "  \"Plugins\": [\"" + PLUGIN + "\"],\n"
          + "  \"DicomWeb\": {\"Enable\": true, \"Root\": \"/dicom-web/\",\n"
          + "    \"Servers\": {\"cmk\": [\"" + t.server.uri() + "\"]}}\n"
          + "}\n");
      Process orthanc = new ProcessBuilder(ORTHANC, config.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("orthanc.log").toFile()).start();
      try {
        URI o = URI.create("http://127.0.0.1:" + port + "/");
        awaitUp(o, orthanc);

        String uploaded = post(o, "instances", original, "application/dicom");
        Matcher m = Pattern.compile("\"ParentStudy\"\\s*:\\s*\"([^\"]+)\"").matcher(uploaded);
        assertTrue(m.find(), uploaded);
        String orthancStudy = m.group(1);

        String stow = post(o, "dicom-web/servers/cmk/stow",
            ("{\"Resources\": [\"" + orthancStudy + "\"]}").getBytes(), "application/json");
        assertFalse(stow.contains("\"FailedSOPSequence\""), stow);
        assertArrayEquals(original, t.sendForBytes(t.request(
            "/studies/1.2.3.90/series/1.2.3.90.1/instances/1.2.3.90.1.1").GET().build()).body(),
            "the store holds what Orthanc sent");

        assertEquals(200, http.send(HttpRequest.newBuilder(o.resolve("studies/" + orthancStudy))
            .DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals("[]", get(o, "instances").replaceAll("\\s", ""));

        String qido = post(o, "dicom-web/servers/cmk/qido",
            "{\"Uri\": \"/studies\", \"Arguments\": {\"PatientID\": \"ORTHANC-PID-1\"}}"
                .getBytes(), "application/json");
        assertTrue(qido.contains("1.2.3.90"), qido);
        String qidoNone = post(o, "dicom-web/servers/cmk/qido",
            "{\"Uri\": \"/studies\", \"Arguments\": {\"PatientID\": \"nobody\"}}".getBytes(),
            "application/json");
        assertFalse(qidoNone.contains("1.2.3.90"), qidoNone);

        String retrieve = post(o, "dicom-web/servers/cmk/retrieve",
            "{\"Resources\": [{\"Study\": \"1.2.3.90\"}]}".getBytes(), "application/json");
        assertTrue(retrieve.replaceAll("\\s", "").contains("\"ReceivedInstancesCount\":\"1\""),
            retrieve);
        String instances = get(o, "instances");
        Matcher id = Pattern.compile("\"([0-9a-f-]{20,})\"").matcher(instances);
        assertTrue(id.find(), instances);
        byte[] back = http.send(HttpRequest.newBuilder(o.resolve("instances/" + id.group(1)
            + "/file")).GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        assertArrayEquals(original, back, "Orthanc got back the instance bit for bit");
      } finally {
        orthanc.destroy();
        if (!orthanc.waitFor(30, TimeUnit.SECONDS)) {
          orthanc.destroyForcibly();
        }
      }
    }
  }

  private void awaitUp(URI o, Process orthanc) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!orthanc.isAlive()) {
        throw new AssertionError("Orthanc exited: " + Files.readString(dir.resolve("orthanc.log")));
      }
      try {
        if (http.send(HttpRequest.newBuilder(o.resolve("system")).GET().build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200); // polling for start-up, not an assertion
    }
    throw new AssertionError("Orthanc did not start: " + Files.readString(dir.resolve("orthanc.log")));
  }

  private String get(URI o, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(o.resolve(path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return r.body();
  }

  private String post(URI o, String path, byte[] body, String type) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(o.resolve(path))
        .header("Content-Type", type).timeout(Duration.ofSeconds(120))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body() + "\n" + log());
    return r.body();
  }

  private String log() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("orthanc.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (Exception e) {
      return e.toString();
    }
  }
}
