package dev.cmk.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README quickstart, compiled and run, so it cannot rot. */
class QuickstartTest {

  @Test
  void quickstart_asPrintedInReadme_roundTrips() {
    byte[] json = "{\"resourceType\":\"Patient\",\"id\":\"123\"}".getBytes(UTF_8);
    byte[] back;
    EnvelopeInfo info;
    // quickstart:start
    InMemoryKeyProvider kms = InMemoryKeyProvider.builder().build(); // production: Key Vault, PKCS#11
    KeyReference kek = kms.createKey("patient-data", 3072);
    try (EnvelopeCrypto crypto = EnvelopeCrypto.builder()
        .provider(kms)
        .writeKey(kek.versionless())          // follow key rotation
        .keyPolicy(KeyPolicy.fhirService())   // RSA 2048/3072, purge protection, ...
        .build()) {
      byte[] aad = "Patient/123/1".getBytes(UTF_8); // binds the envelope to its row
      byte[] envelope = crypto.encrypt(json, aad);
      back = crypto.decrypt(envelope, aad);
      info = EnvelopeInfo.of(envelope);  // key version, sizes; no unwrap
    }
    // quickstart:end
    assertArrayEquals(json, back);
    assertEquals(kek, info.keyReference());
  }

  @Test
  void readme_containsTheQuickstartVerbatim() throws IOException {
    Path readme = Path.of("..", "README.md");
    String source = Files.readString(Path.of("src/test/java/dev/cmk/core/QuickstartTest.java"));
    String snippet = source.substring(source.indexOf("// quickstart:start") + 20,
        source.indexOf("    // quickstart:end"));
    String text = Files.readString(readme);
    for (String line : snippet.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
      assertTrue(text.contains(line), "README.md is missing the quickstart line: " + line);
    }
  }
}
