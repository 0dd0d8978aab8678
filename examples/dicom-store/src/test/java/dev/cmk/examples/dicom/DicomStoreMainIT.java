package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line wiring with a real provider found by {@code ServiceLoader}: the local PKCS#12
 * keystore provider, a key created on first start, the instance readable after a restart.
 */
@Timeout(120)
class DicomStoreMainIT {
  private static final String INSTANCE = TestServer.instancePath("1.2.3", "1.2.3.4", "1.2.3.4.5");

  @TempDir Path dir;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Path keystore;
  private Path password;

  @BeforeEach
  void passwordFile() throws Exception {
    keystore = dir.resolve("keys.p12");
    password = dir.resolve("keystore-password");
    Files.writeString(password, "test-only-keystore-password");
  }

  private DicomStoreMain.Options options(String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--data-dir", dir.resolve("data").toString(),
        "--key", "local:dicom-kek",
        "--provider-setting", "path=" + keystore,
        "--provider-setting", "password-file=" + password,
        "--provider-setting", "create=true",
        "--port", "0"));
    args.addAll(List.of(extra));
    return DicomStoreMain.Options.parse(args.toArray(String[]::new));
  }

  @Test
  void start_withTheKeystoreProvider_storesAndServesAcrossRestarts() throws Exception {
    byte[] body = SyntheticDicom.array(1, 150_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    try (DicomStoreMain.Running running =
        DicomStoreMain.start(options("--create-key-if-missing"), new PrintStream(out, true))) {
      URI base = running.server().uri();
      HttpResponse<String> put = http.send(HttpRequest.newBuilder(base.resolve(INSTANCE))
          .header("Content-Type", "application/dicom")
          .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, put.statusCode(), put.body());
    }
    String message = out.toString(StandardCharsets.UTF_8);
    assertTrue(message.startsWith("dicom-store listening on http://127.0.0.1:"), message);
    assertTrue(message.contains("key local:dicom-kek via keystore, key state AVAILABLE, version"
        + " local:dicom-kek/"), message);

    try (DicomStoreMain.Running running =
        DicomStoreMain.start(options(), new PrintStream(new ByteArrayOutputStream()))) {
      HttpResponse<byte[]> get = http.send(
          HttpRequest.newBuilder(running.server().uri().resolve(INSTANCE)).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, get.statusCode());
      assertArrayEquals(body, get.body());
    }
  }

  @Test
  void start_missingKeyWithoutCreate_servesButAnswers500() throws Exception {
    try (DicomStoreMain.Running running =
        DicomStoreMain.start(options(), new PrintStream(new ByteArrayOutputStream()))) {
      HttpResponse<String> put = http.send(
          HttpRequest.newBuilder(running.server().uri().resolve(INSTANCE))
              .header("Content-Type", "application/dicom")
              .PUT(HttpRequest.BodyPublishers.ofByteArray(SyntheticDicom.array(2, 1000))).build(),
          HttpResponse.BodyHandlers.ofString());

      assertEquals(500, put.statusCode());
      assertEquals("customer-managed-key-not-accessible", TestServer.field(put.body(), "error"));
      assertEquals("KEY_NOT_FOUND", TestServer.field(put.body(), "cause"));
    }
  }

  @Test
  void start_unknownProvider_namesTheOnesFound() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DicomStoreMain.start(
            DicomStoreMain.Options.parse("--data-dir", dir.toString(), "--key", "local:k",
                "--provider", "nope"),
            new PrintStream(new ByteArrayOutputStream())));

    assertTrue(e.getMessage().startsWith("no key provider 'nope' on the class path; found ["),
        e.getMessage());
    assertTrue(e.getMessage().contains("keystore"), e.getMessage());
  }
}
