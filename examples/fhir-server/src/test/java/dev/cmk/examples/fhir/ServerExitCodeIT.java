package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cmk.keystore.KeystoreKeyProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #16 §4: a normal stop exits 0, as the README says. The server runs as a real process
 * ({@link FhirServerMain}); SIGTERM ({@link Process#destroy()}, {@code docker stop}) and SIGINT
 * (Ctrl-C) close it, and its data is still there at the next start.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ServerExitCodeIT {
  @TempDir Path dir;
  private List<String> options;

  @BeforeEach
  void keystore() throws Exception {
    Files.writeString(dir.resolve("pw"), "correct horse battery staple");
    String key = "exit-" + UUID.randomUUID().toString().substring(0, 8);
    KeystoreKeyProvider.builder().path(dir.resolve("keys.p12")).passwordFile(dir.resolve("pw"))
        .create(true).build().keyManager().orElseThrow().createKey(key, 2048);
    options = List.of("--jdbc-url", "jdbc:hsqldb:file:" + dir.resolve("db/fhir"),
        "--key-encryption-key-url", "local:" + key,
        "--keystore", dir.resolve("keys.p12").toString(),
        "--keystore-password-file", dir.resolve("pw").toString());
  }

  @Test
  void sigterm_closesTheServer_exits0_andTheDataSurvives() throws Exception {
    ServerProcess server = ServerProcess.start(dir.resolve("term.log"), options);
    String id;
    try {
      var created = server.send("POST", "/Patient", "{\"resourceType\":\"Patient\"}");
      assertEquals(201, created.statusCode());
      id = created.headers().firstValue("Location").orElseThrow()
          .replaceAll(".*/Patient/([^/]+)/_history/.*", "$1");
    } catch (Exception | Error e) {
      server.kill();
      throw e;
    }
    assertEquals(0, server.destroyAndWait(), "exit code after SIGTERM; log: "
        + Files.readString(dir.resolve("term.log")));
    try (ServerProcess again = ServerProcess.start(dir.resolve("again.log"), options)) {
      assertEquals(200, again.status("GET", "/Patient/" + id));
    }
  }

  @Test
  void sigint_exits0() throws Exception {
    ServerProcess server = ServerProcess.start(dir.resolve("int.log"), options);
    assertEquals(0, server.signalAndWait("INT"), "exit code after SIGINT; log: "
        + Files.readString(dir.resolve("int.log")));
  }
}
