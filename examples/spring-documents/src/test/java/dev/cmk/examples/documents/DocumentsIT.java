package dev.cmk.examples.documents;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessState;
import dev.cmk.spring.boot.KeyVaultProviderCustomizer;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;

/**
 * The documents service end to end over HTTP (embedded Tomcat, random port), its key in the
 * loopback Key Vault reached by the real Azure SDK over HTTPS. Only the key's location, the
 * credential and the TLS trust differ from production; the guard runs on a manual clock.
 */
@SpringBootTest(
    classes = {DocumentsApplication.class, DocumentsIT.LoopbackVaultBeans.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DocumentsIT {
  private static final LoopbackKeyVault SERVER =
      LoopbackKeyVault.builder().keyVault("cmkspring").build();
  private static final LoopbackVault VAULT = SERVER.vault("cmkspring");
  private static final VaultIdentity APP = SERVER.createApplication("spring-documents");
  private static final KeyReference KEY;
  private static final ManualClock CLOCK = ManualClock.startingAt(Instant.now());
  private static final Path DIRECTORY;

  static {
    VAULT.setPurgeProtection(true);
    VAULT.grant(APP, KeyPermission.GET, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);
    KEY = VAULT.createRsaKey("documents", 2048);
    try {
      DIRECTORY = Files.createTempDirectory("cmk-spring-documents-it");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("cmk.key", () -> KEY.versionless().toString());
    registry.add("documents.directory", DIRECTORY::toString);
  }

  @AfterAll
  static void stopVault() {
    SERVER.close();
  }

  @LocalServerPort int port;
  @Autowired EnvelopeCrypto crypto;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void keyEnabled() {
    VAULT.keyManager().setEnabled(KEY, true);
  }

  @AfterEach
  void reopen() {
    VAULT.keyManager().setEnabled(KEY, true);
    if (crypto.keyAccess().status().state() != KeyAccessState.AVAILABLE) {
      crypto.keyAccess().refresh();
    }
  }

  private HttpResponse<String> put(String id, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(id))
            .header("Content-Type", "text/plain")
            .PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String id) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(id)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String id) {
    return URI.create("http://localhost:" + port + "/documents/" + id);
  }

  @Test
  void putThenGet_roundTrips_fileHoldsOnlyTheEnvelope() throws Exception {
    String text = "Discharge summary: patient 7 recovered well.";
    assertThat(put("summary-7", text).statusCode()).isEqualTo(204);
    HttpResponse<String> read = get("summary-7");
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(text);
    byte[] stored = Files.readAllBytes(DIRECTORY.resolve("summary-7.cmk"));
    assertThat(new String(stored, UTF_8)).doesNotContain("Discharge", "recovered");
  }

  @Test
  void envelopeCopiedToAnotherId_answers500IntegrityProblem() throws Exception {
    put("letter-a", "for patient A");
    Files.copy(DIRECTORY.resolve("letter-a.cmk"), DIRECTORY.resolve("letter-b.cmk"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    HttpResponse<String> read = get("letter-b");
    assertThat(read.statusCode()).isEqualTo(500);
    assertThat(read.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(read.body()).contains("Stored document failed its integrity check")
        .doesNotContain("for patient A");
  }

  @Test
  void keyDisabled_answers500KeyNotAccessibleProblem_thenServesAgainWhenRestored()
      throws Exception {
    put("note-1", "private note");
    VAULT.keyManager().setEnabled(KEY, false);
    CLOCK.advance(Duration.ofSeconds(61)); // the confirmation is due again

    HttpResponse<String> refused = get("note-1");
    assertThat(refused.statusCode()).isEqualTo(500);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(refused.body())
        .contains("\"title\":\"Customer-managed key not accessible\"")
        .contains("\"cause\":\"KEY_DISABLED\"")
        .contains("\"state\":\"UNAVAILABLE\"")
        .doesNotContain("private note");
    assertThat(put("note-2", "refused too").statusCode()).isEqualTo(500);

    VAULT.keyManager().setEnabled(KEY, true);
    CLOCK.advance(Duration.ofSeconds(6)); // past the probe backoff
    crypto.keyAccess().probeIfDue();
    HttpResponse<String> served = get("note-1");
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).isEqualTo("private note");
  }

  @Test
  void unknownDocument_answers404Problem() throws Exception {
    HttpResponse<String> read = get("never-stored");
    assertThat(read.statusCode()).isEqualTo(404);
    assertThat(read.body()).contains("Document not found");
  }

  @Test
  void idThatIsNotAFileName_answers400Problem() throws Exception {
    HttpResponse<String> read = get("-starts-with-a-dash");
    assertThat(read.statusCode()).isEqualTo(400);
    assertThat(read.body()).contains("Invalid document id");
  }

  /** The loopback vault's credential, TLS trust and the manual clock. */
  @TestConfiguration(proxyBeanMethods = false)
  static class LoopbackVaultBeans {
    @Bean
    Clock clock() {
      return CLOCK;
    }

    @Bean
    TokenCredential loopbackCredential() {
      return request -> Mono.just(new AccessToken(
          SERVER.issueToken(APP, request.getScopes().get(0)), OffsetDateTime.now().plusHours(1)));
    }

    @Bean
    KeyVaultProviderCustomizer trustLoopback() {
      return b -> b.httpClient(new JdkHttpClientBuilder(
              HttpClient.newBuilder().sslContext(SERVER.clientSslContext()))
          .responseTimeout(Duration.ofSeconds(20)).build());
    }
  }
}
