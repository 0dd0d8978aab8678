package dev.cmk.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.SoftHsmToken;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code cmk.provider=pkcs11} against a real SoftHSM2 token, its RSA key made by OpenSC's {@code
 * pkcs11-tool} as an HSM administrator would; the PIN is read from a file.
 */
class Pkcs11IT {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(
          CmkAutoConfiguration.class, CmkActuatorAutoConfiguration.class));

  @TempDir Path dir;

  @Test
  void pkcs11Properties_contextStarts_roundTripsOnTheTokenAndHealthUp() throws Exception {
    SoftHsmToken token = SoftHsmToken.create("spring");
    token.keypairgen("rsa:2048", "01", "documents");
    Path pin = dir.resolve("pin");
    Files.writeString(pin, token.pin());
    runner.withPropertyValues(
            "cmk.provider=pkcs11",
            "cmk.key=pkcs11:token=" + token.label() + ";object=documents",
            "cmk.pkcs11.library=" + SoftHsmToken.library(),
            "cmk.pkcs11.token-label=" + token.label(),
            "cmk.pkcs11.pin-file=" + pin)
        .run(context -> {
          assertThat(context).hasNotFailed();
          EnvelopeCrypto crypto = context.getBean(EnvelopeCrypto.class);
          byte[] aad = "document:1".getBytes(UTF_8);
          byte[] envelope = crypto.encrypt("on the token".getBytes(UTF_8), aad);
          assertThat(crypto.decrypt(envelope, aad)).isEqualTo("on the token".getBytes(UTF_8));
          Health health = context.getBean(CmkHealthIndicator.class).health();
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails().get("key"))
              .isEqualTo("pkcs11:token=" + token.label() + ";object=documents");
          assertThat(health.getDetails().toString()).doesNotContain(token.pin());
        });
  }
}
