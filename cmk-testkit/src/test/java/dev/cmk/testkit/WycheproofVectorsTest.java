package dev.cmk.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WycheproofVectorsTest {

  /** SHA-256 of the upstream files at commit e0df04e0c033f2d25c5051dd06230336c7822358. */
  private static final Map<String, String> SHA256 =
      Map.of(
          WycheproofVectors.RSA_OAEP_2048_SHA256, "83dce701e3d8640ac56e6d7bf37a5a8f9bd6a336e1e932a1e9bfe4ba9c5ea3a9",
          WycheproofVectors.RSA_OAEP_3072_SHA256, "c8122302f522bfd539650c71c4aa966bd1f89acb50c6f4c190030fdb9b2684a4");

  @Test
  void bytes_everyShippedFile_isTheUpstreamCopy() throws Exception {
    assertEquals(SHA256.keySet(), java.util.Set.copyOf(WycheproofVectors.FILES));
    for (String file : WycheproofVectors.FILES) {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(WycheproofVectors.bytes(file));
      assertEquals(SHA256.get(file), HexFormat.of().formatHex(digest), file);
      assertTrue(
          WycheproofVectors.json(file).contains("\"schema\": \"rsaes_oaep_decrypt_schema_v1.json\""),
          file);
    }
  }

  @Test
  void licenseAndProvenance_shippedBesideTheVectors() throws Exception {
    assertTrue(resource("wycheproof/LICENSE").contains("Apache License"));
    String readme = resource("wycheproof/README.md");
    assertTrue(readme.contains("https://github.com/C2SP/wycheproof"), readme);
    assertTrue(readme.contains("e0df04e0c033f2d25c5051dd06230336c7822358"), readme);
  }

  @Test
  void bytes_unknownFile_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> WycheproofVectors.bytes("aes_gcm_test.json"));
    assertThrows(IllegalArgumentException.class, () -> WycheproofVectors.bytes("../LICENSE"));
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = WycheproofVectors.class.getResourceAsStream(name)) {
      assertTrue(in != null, name + " on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
