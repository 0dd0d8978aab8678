package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #16 §3 with a client nobody here wrote: npm {@code fhir-kit-client} 2.0.3 (Node.js)
 * against the real server over HTTP. The script ({@code fhir-kit-client/conditional.mjs}) prints
 * what the client saw; this test asserts on it. Skipped without Node.js 20 and npm, failing with
 * {@code CI=true}.
 */
class FhirKitClientIT {
  @TempDir Path dir;
  private FhirServer server;

  @BeforeEach
  void start() {
    TestVault keys = TestVault.create();
    server = FhirTestClient.serverBuilder("jdbc:hsqldb:file:" + dir.resolve("fhir"), keys.clock())
        .keyConfiguration(keys::configuration).build().start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private Map<String, String> run(String script) throws Exception {
    Path copy = FhirKitClient.script(script);
    try {
      String suffix = UUID.randomUUID().toString();
      Process p = new ProcessBuilder(FhirKitClient.node(), copy.toString(),
          server.baseUrl().toString(), suffix).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(2, TimeUnit.MINUTES), "node did not finish:\n" + out);
      assertEquals(0, p.exitValue(), "node failed:\n" + out);
      Map<String, String> seen = new LinkedHashMap<>();
      for (String line : out.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          seen.put(line.substring(0, eq), line.substring(eq + 1).trim());
        }
      }
      seen.put("(output)", out);
      return seen;
    } finally {
      Files.deleteIfExists(copy);
    }
  }

  @Test
  void fhirKitClient_conditionalCreateUpdateUpdateAsCreateAndPrefer_seeFhirSemantics()
      throws Exception {
    Map<String, String> seen = run("conditional.mjs");
    String out = seen.get("(output)");
    assertEquals("201", seen.get("create1.status"), out);
    assertTrue(seen.get("create1.location").contains("/Patient/" + seen.get("create1.id")), out);
    assertEquals("200", seen.get("create2.status"), out);
    assertEquals(seen.get("create1.id"), seen.get("create2.id"), "the same resource: " + out);
    assertEquals("First", seen.get("create2.family"), "the stored one, not the second body");
    assertEquals("1", seen.get("search.total"), "no duplicate: " + out);
    assertEquals("1", seen.get("search.entries"), out);

    assertEquals("200", seen.get("condUpdate.status"), out);
    assertEquals(seen.get("create1.id"), seen.get("condUpdate.id"), out);
    assertEquals("2", seen.get("condUpdate.version"), out);

    assertEquals("201", seen.get("updateCreate.status"), out);
    assertTrue(seen.get("updateCreate.location").endsWith(
        "/Patient/" + seen.get("updateCreate.id") + "/_history/1"), out);

    assertEquals("201", seen.get("prefer.minimal.status"), out);
    assertEquals("(empty body)", seen.get("prefer.minimal.resourceType"), out);
    assertTrue(seen.get("prefer.minimal.location").contains("/Patient/"), out);
    assertEquals("201", seen.get("prefer.representation.status"), out);
    assertEquals("Patient", seen.get("prefer.representation.resourceType"), out);
    assertEquals("201", seen.get("prefer.OperationOutcome.status"), out);
    assertEquals("OperationOutcome", seen.get("prefer.OperationOutcome.resourceType"), out);

    assertEquals("412", seen.get("ambiguous.status"), out);
    assertEquals("400", seen.get("unsupported.status"), out);
    assertEquals("2", seen.get("final.total"), "the twin, and nothing from the 412: " + out);
    assertNotEquals(seen.get("create1.id"), seen.get("updateCreate.id"));
  }
}
