package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store as deployed ({@code java -p target/lib:... -m ...}) stops normally on SIGTERM and
 * SIGINT: exit status 0 (not 143 or 130), after serving a DICOMweb request.
 */
@Timeout(120)
class StoreProcessIT {
  private static final Pattern LISTENING =
      Pattern.compile("dicom-store listening on (http://127\\.0\\.0\\.1:\\d+/)");

  @TempDir Path dir;

  private Process start() throws Exception {
    Path password = dir.resolve("password");
    Files.writeString(password, "test-only-keystore-password");
    Path target = Path.of("target");
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx96m", "-XX:TieredStopAtLevel=1",
        "-p", target.resolve("lib") + java.io.File.pathSeparator
            + target.resolve("cmk-example-dicom-store.jar"),
        "-m", "dev.cmk.examples.dicom/dev.cmk.examples.dicom.DicomStoreMain",
        "--data-dir", dir.resolve("data").toString(),
        "--key", "local:dicom-kek",
        "--provider-setting", "path=" + dir.resolve("keys.p12"),
        "--provider-setting", "password-file=" + password,
        "--provider-setting", "create=true",
        "--create-key-if-missing",
        "--port", "0");
    return new ProcessBuilder(command).redirectError(dir.resolve("stderr").toFile()).start();
  }

  private URI base(Process p) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    Matcher m = LISTENING.matcher(line == null ? "" : line);
    assertTrue(m.lookingAt(), () -> "did not start: " + line + "\n" + stderr());
    return URI.create(m.group(1));
  }

  private String stderr() {
    try {
      return Files.readString(dir.resolve("stderr"));
    } catch (Exception e) {
      return e.toString();
    }
  }

  @Test
  void sigterm_afterServing_exitsZero() throws Exception {
    Process p = start();
    try {
      URI base = base(p);
      HttpResponse<String> stow = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(base.resolve("/studies"))
              .header("Content-Type",
                  "multipart/related; type=\"application/dicom\"; boundary=" + DicomWeb.BOUNDARY)
              .POST(HttpRequest.BodyPublishers.ofByteArray(
                  DicomWeb.stowBody(List.of(new DicomFiles().build())))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, stow.statusCode(), stow.body());

      p.destroy(); // SIGTERM

      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not stop");
      assertEquals(0, p.exitValue(), stderr());
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void sigint_exitsZero() throws Exception {
    Process p = start();
    try {
      base(p);
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
      assertEquals(0, kill.waitFor());

      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not stop");
      assertEquals(0, p.exitValue(), stderr());
    } finally {
      p.destroyForcibly();
    }
  }
}
