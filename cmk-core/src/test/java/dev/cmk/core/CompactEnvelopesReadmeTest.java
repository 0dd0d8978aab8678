package dev.cmk.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.core.datakey.RecordCensus;
import dev.cmk.testkit.InMemoryKeyProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "Compact envelopes (format v2)" example, compiled and run, so it cannot rot. */
class CompactEnvelopesReadmeTest {

  @Test
  void compactEnvelopes_asPrintedInReadme_rotateByRecords() {
    InMemoryKeyProvider vault = InMemoryKeyProvider.builder().id("vault").build();
    KeyReference key = vault.manager().createKey("patients", 3072).versionless();
    DataKeyStore store = new InMemoryDataKeyStore(); // JdbcDataKeyStore / BlobDataKeyStore
    byte[] aad = "Patient/123/1".getBytes(UTF_8);
    byte[] json = "{\"resourceType\":\"Patient\"}".getBytes(UTF_8);
    // v2:start
    EnvelopeCrypto crypto = EnvelopeCrypto.builder()
        .provider(vault).writeKey(key)
        .dataKeyStore(store)          // format v2: the header names a record in the store
        .build();
    byte[] envelope = crypto.encrypt(json, aad);   // json.length + 64 bytes

    vault.manager().rotateKey(key);                // the customer rotates the key
    crypto.keyAccess().refresh();
    crypto.dataKeyRecords().rewrapAll((id, outcome, done) -> { }); // one write per record
    RecordCensus census = crypto.dataKeyRecords().census(); // which versions still wrap records
    // v2:end
    assertEquals(json.length + 64, envelope.length);
    assertArrayEquals(json, crypto.decrypt(envelope, aad));
    assertEquals(1, census.records());
    assertTrue(census.versions().stream().anyMatch(
        u -> u.version().equals(crypto.keyAccess().status().currentVersion())
            && u.preferred() == 1));
    crypto.close();
  }

  @Test
  void readme_containsTheCompactEnvelopesExampleVerbatim() throws IOException {
    String source =
        Files.readString(Path.of("src/test/java/dev/cmk/core/CompactEnvelopesReadmeTest.java"));
    String snippet = source.substring(source.indexOf("// v2:start") + 12,
        source.indexOf("    // v2:end"));
    String text = Files.readString(Path.of("..", "README.md"));
    List<String> lines = snippet.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    assertTrue(lines.size() >= 5, "the v2:start/v2:end snippet was not found: " + lines);
    for (String line : lines) {
      assertTrue(text.contains(line), "README.md is missing the line: " + line);
    }
  }
}
