package dev.cmk.examples.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.testkit.SoftHsmToken;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DicomStoreMain --key pkcs11:…} with keys an HSM administrator made on a real SoftHSM2
 * token with OpenSC's {@code pkcs11-tool} (binary {@code CKA_ID}, label with a space), through the
 * {@code pkcs11} provider factory ({@code library=}, {@code pin-file=}). An EC key and an RSA-1024
 * key stop the start-up with the DICOM key policy naming the rule, never "key not found".
 */
class DicomStorePkcs11IT {
  private static final String INSTANCE = TestServer.instancePath("1.2.3", "1.2.3.4", "1.2.3.4.6");

  @TempDir static Path dir;
  private static SoftHsmToken token;
  private static Path pinFile;

  @BeforeAll
  static void setUp() throws Exception {
    token = SoftHsmToken.create("dicom-it");
    token.keypairgen("rsa:2048", "0102", "dicom kek");
    token.keypairgen("EC:prime256v1", "ec01", "ec-key");
    token.keypairgen("rsa:1024", "01", "small-key");
    pinFile = Files.writeString(dir.resolve("pin"), token.pin() + "\n", StandardCharsets.UTF_8);
  }

  private static DicomStoreMain.Options options(String object) {
    return DicomStoreMain.Options.parse(
        "--data-dir", dir.resolve("data").toString(),
        "--key", "pkcs11:token=" + token.label() + ";object=" + object,
        "--provider-setting", "library=" + SoftHsmToken.library(),
        "--provider-setting", "pin-file=" + pinFile,
        "--port", "0");
  }

  private static List<String> rulesRefusing(String object) {
    KeyPolicyViolationException e =
        assertThrows(
            KeyPolicyViolationException.class,
            () -> DicomStoreMain.start(options(object), new PrintStream(new ByteArrayOutputStream())));
    assertFalse(e.getMessage().contains("not found"), e.getMessage());
    return e.violations().stream()
        .map(KeyPolicyViolationException.Violation::rule)
        .collect(Collectors.toList());
  }

  @Test
  void start_ecKeyOnToken_refusedByTheDicomPolicyNamingTheKeyTypeRule() {
    assertTrue(rulesRefusing("ec-key").contains("key-type"));
  }

  @Test
  void start_rsa1024KeyOnToken_refusedByTheDicomPolicyNamingTheKeySizeRule() {
    assertTrue(rulesRefusing("small-key").contains("key-size"));
  }

  @Test
  void start_pkcs11ToolKeyWithBinaryId_storesAndServes() throws Exception {
    byte[] body = SyntheticDicom.array(3, 100_000);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DicomStoreMain.Running running =
        DicomStoreMain.start(options("dicom%20kek"), new PrintStream(out, true))) {
      URI base = running.server().uri();
      HttpResponse<String> put =
          http.send(
              HttpRequest.newBuilder(base.resolve(INSTANCE))
                  .header("Content-Type", "application/dicom")
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(201, put.statusCode(), put.body());
      HttpResponse<byte[]> get =
          http.send(
              HttpRequest.newBuilder(base.resolve(INSTANCE)).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, get.statusCode());
      assertArrayEquals(body, get.body());
    }
    String message = out.toString(StandardCharsets.UTF_8);
    assertTrue(message.contains("id=%01%02"), message);
  }
}
