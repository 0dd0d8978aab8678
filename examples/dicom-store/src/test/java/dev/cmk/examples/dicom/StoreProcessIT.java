package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store as deployed ({@code java -p target/lib:... -m ...}) stops normally on SIGTERM and
 * SIGINT: exit status 0 (not 143 or 130), after serving a DICOMweb request.
 */
@Timeout(120)
class StoreProcessIT {
  @TempDir Path dir;

  private Process start() throws Exception {
    Path password = dir.resolve("password");
    Files.writeString(password, "test-only-keystore-password");
    List<String> command = DeployedStore.command(List.of(
        "--data-dir", dir.resolve("data").toString(),
        "--key", "local:dicom-kek",
        "--provider-setting", "path=" + dir.resolve("keys.p12"),
        "--provider-setting", "password-file=" + password,
        "--provider-setting", "create=true",
        "--create-key-if-missing",
        "--port", "0"));
    return new ProcessBuilder(command).redirectError(dir.resolve("stderr").toFile()).start();
  }

  private URI base(Process p) throws Exception {
    return DeployedStore.listening(p, this::stderr).base();
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
