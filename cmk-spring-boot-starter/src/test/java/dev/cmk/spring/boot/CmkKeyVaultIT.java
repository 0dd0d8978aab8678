package dev.cmk.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenCredential;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessState;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in a running web application (embedded Tomcat on a random port, Actuator over HTTP)
 * against the loopback Key Vault, reached by the real Azure SDK over HTTPS with a {@link
 * TokenCredential} bean. The guard and the provider run on a {@link ManualClock} bean; the key is
 * disabled and restored through the loopback vault's key manager, as its owner would in the
 * portal.
 */
@SpringBootTest(
    classes = CmkKeyVaultIT.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "cmk.provider=key-vault",
      "cmk.policy=fhir-service",
      "management.endpoints.web.exposure.include=health,cmk",
      "management.endpoint.health.show-details=always",
    })
class CmkKeyVaultIT {
  private static final KeyReference KEY = LoopbackVaultFixture.newKey("spring");
  private static final VaultIdentity APP = LoopbackVaultFixture.newIdentity("spring-app");
  private static final ManualClock CLOCK = ManualClock.startingAt(Instant.now());
  private static final byte[] AAD = "document:7".getBytes(UTF_8);

  @DynamicPropertySource
  static void key(DynamicPropertyRegistry registry) {
    registry.add("cmk.key", () -> KEY.versionless().toString());
  }

  @LocalServerPort int port;
  @Autowired EnvelopeCrypto crypto;
  private ActuatorClient http;

  @BeforeEach
  void healthUp() {
    http = new ActuatorClient(port);
    ActuatorClient.Answer health = http.get("/actuator/health/cmk");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.text("status")).isEqualTo("UP");
  }

  @AfterEach
  void restore() {
    LoopbackVaultFixture.vault().keyManager().setEnabled(KEY, true);
    if (crypto.keyAccess().status().state() != KeyAccessState.AVAILABLE) {
      crypto.keyAccess().refresh();
    }
  }

  /** Disables the key version and lets the next probe notice; returns when the guard tripped. */
  private void disableAndProbe() {
    LoopbackVaultFixture.vault().keyManager().setEnabled(KEY, false);
    CLOCK.advance(Duration.ofSeconds(61));
    crypto.keyAccess().probeIfDue();
  }

  @Test
  void contextStarts_healthUpWithKeyAndVersion_envelopeCryptoRoundTrips() {
    ActuatorClient.Answer health = http.get("/actuator/health/cmk");
    assertThat(health.detail("state")).isEqualTo("AVAILABLE");
    assertThat(health.detail("cause")).isEqualTo("NONE");
    assertThat(health.detail("key")).isEqualTo(KEY.versionless().toString());
    assertThat(health.detail("currentVersion")).isEqualTo(KEY.toString());
    byte[] envelope = crypto.encrypt("record".getBytes(UTF_8), AAD);
    assertThat(crypto.decrypt(envelope, AAD)).isEqualTo("record".getBytes(UTF_8));
  }

  @Test
  void keyVersionDisabled_healthDownWithCauseAndGrace_thenUpWhenRestored() {
    disableAndProbe();
    ActuatorClient.Answer down = http.get("/actuator/health/cmk");
    assertThat(down.status()).isEqualTo(503);
    assertThat(down.text("status")).isEqualTo("DOWN");
    assertThat(down.detail("state")).isEqualTo("UNAVAILABLE");
    assertThat(down.detail("cause")).isEqualTo("KEY_DISABLED");
    assertThat(down.detail("graceRemaining")).isEqualTo("PT30M");
    assertThat(down.body().path("details").has("lastError"))
        .as("provider error text stays out of health").isFalse();

    LoopbackVaultFixture.vault().keyManager().setEnabled(KEY, true);
    CLOCK.advance(Duration.ofSeconds(6)); // past the first probe backoff (5 s)
    crypto.keyAccess().probeIfDue();
    ActuatorClient.Answer up = http.get("/actuator/health/cmk");
    assertThat(up.status()).isEqualTo(200);
    assertThat(up.text("status")).isEqualTo("UP");
    assertThat(up.detail("cause")).isEqualTo("NONE");
  }

  @Test
  void disabledPastGracePeriod_outOfServiceEvenWhenRestored_refreshEndpointBringsItUp() {
    disableAndProbe();
    CLOCK.advance(Duration.ofMinutes(31));
    LoopbackVaultFixture.vault().keyManager().setEnabled(KEY, true);

    ActuatorClient.Answer locked = http.get("/actuator/health/cmk");
    assertThat(locked.status()).isEqualTo(503);
    assertThat(locked.text("status")).isEqualTo("OUT_OF_SERVICE");
    assertThat(locked.detail("state")).isEqualTo("REFRESH_REQUIRED");
    assertThat(locked.detail("cause")).isEqualTo("KEY_DISABLED");
    assertThat(locked.detail("graceRemaining")).isEqualTo("PT0S");
    CLOCK.advance(Duration.ofSeconds(40));
    crypto.keyAccess().probeIfDue();
    assertThat(http.get("/actuator/health/cmk").text("status"))
        .as("no probe reopens the guard once refresh is required").isEqualTo("OUT_OF_SERVICE");

    ActuatorClient.Answer refreshed = http.post("/actuator/cmk");
    assertThat(refreshed.status()).isEqualTo(200);
    assertThat(refreshed.body().path("refreshed").asBoolean()).isTrue();
    assertThat(refreshed.text("state")).isEqualTo("AVAILABLE");
    assertThat(http.get("/actuator/health/cmk").text("status")).isEqualTo("UP");
  }

  @Test
  void refreshEndpoint_keyStillDisabled_answersNotRefreshedWithErrorAndStaysOutOfService() {
    disableAndProbe();
    CLOCK.advance(Duration.ofMinutes(31));
    assertThat(http.get("/actuator/health/cmk").text("status")).isEqualTo("OUT_OF_SERVICE");

    ActuatorClient.Answer refused = http.post("/actuator/cmk");
    assertThat(refused.status()).isEqualTo(200);
    assertThat(refused.body().path("refreshed").asBoolean()).isFalse();
    assertThat(refused.text("error")).isNotBlank();
    assertThat(refused.text("state")).isEqualTo("REFRESH_REQUIRED");
    assertThat(http.get("/actuator/health/cmk").text("status")).isEqualTo("OUT_OF_SERVICE");
  }

  @Test
  void endpointRead_reportsStatusWithLastError() {
    ActuatorClient.Answer ok = http.get("/actuator/cmk");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.text("state")).isEqualTo("AVAILABLE");
    assertThat(ok.text("key")).isEqualTo(KEY.versionless().toString());

    disableAndProbe();
    ActuatorClient.Answer down = http.get("/actuator/cmk");
    assertThat(down.text("state")).isEqualTo("UNAVAILABLE");
    assertThat(down.text("cause")).isEqualTo("KEY_DISABLED");
    assertThat(down.text("lastError")).isNotBlank();
  }

  @Test
  void backgroundProbe_noticesDisabledKeyWithoutAnyRequest() throws InterruptedException {
    LoopbackVaultFixture.vault().keyManager().setEnabled(KEY, false);
    CLOCK.advance(Duration.ofSeconds(61));
    // No call here probes: only the starter's scheduler (every second) can notice the disable.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (crypto.keyAccess().status().state() == KeyAccessState.AVAILABLE
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(http.get("/actuator/health/cmk").text("status")).isEqualTo("DOWN");
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    Clock clock() {
      return CLOCK;
    }

    @Bean
    TokenCredential loopbackCredential() {
      return LoopbackVaultFixture.credential(APP);
    }

    @Bean
    KeyVaultProviderCustomizer trustLoopback() {
      return LoopbackVaultFixture.trustLoopback();
    }
  }
}
