package dev.cmk.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cmk.core.EnvelopeCrypto;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The meters reach the application's registry through the starter, and only then. */
class CmkMetricsAutoConfigurationTest extends KeystoreContextBase {
  private static final byte[] AAD = "document:7".getBytes(UTF_8);

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(CmkMetricsAutoConfiguration.class,
          CmkAutoConfiguration.class));

  @Test
  void registryBean_metersCountRealOperations() {
    runner.withPropertyValues(keys.properties())
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(context -> {
          assertThat(context).hasNotFailed();
          EnvelopeCrypto crypto = context.getBean(EnvelopeCrypto.class);
          byte[] envelope = crypto.encrypt("x".getBytes(UTF_8), AAD);
          crypto.decrypt(envelope, AAD);
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertThat(registry.find("cmk.kek.calls").timers()).isNotEmpty();
          assertThat(registry.find("cmk.key.access.state").tag("state", "available")
              .gauge().value()).isEqualTo(1.0);
        });
  }

  @Test
  void metricsDisabledByProperty_orNoRegistry_nothingInstalled() {
    runner.withPropertyValues(keys.properties()).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(EnvelopeCrypto.class);
      assertThat(context).hasSingleBean(EnvelopeCryptoBuilderCustomizer.class);
    });
    runner.withPropertyValues(keys.properties())
        .withPropertyValues("cmk.metrics.enabled=false")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(context -> {
          assertThat(context).hasNotFailed()
              .doesNotHaveBean(EnvelopeCryptoBuilderCustomizer.class);
          context.getBean(EnvelopeCrypto.class).encrypt(new byte[1], AAD);
          assertThat(context.getBean(MeterRegistry.class).getMeters()).isEmpty();
        });
  }
}
