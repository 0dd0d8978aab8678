package dev.cmk.spring.boot;

import dev.cmk.micrometer.CmkMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Publishes cmk's meters ({@code cmk.kek.calls}, {@code cmk.datakey.cache.requests}, {@code
 * cmk.key.access.state}, …; see cmk-micrometer's README) to the application's {@link
 * MeterRegistry}, when {@code dev.cmk:cmk-micrometer} is on the class path and a registry bean
 * exists (Spring Boot Actuator makes one). Applied to the starter's {@code EnvelopeCrypto} as an
 * {@link EnvelopeCryptoBuilderCustomizer}; {@code cmk.metrics.enabled=false} turns it off.
 * Without a registry nothing is installed and nothing is measured.
 */
@AutoConfiguration
@ConditionalOnClass({CmkMetrics.class, MeterRegistry.class})
@ConditionalOnProperty(prefix = "cmk.metrics", name = "enabled", matchIfMissing = true)
public class CmkMetricsAutoConfiguration {

  /** Creates the auto-configuration (Spring does). */
  public CmkMetricsAutoConfiguration() {}

  /**
   * The customizer that installs the meters on the starter's builder.
   *
   * @param registry the application's registry, if it has one
   * @return the customizer
   */
  @Bean
  public EnvelopeCryptoBuilderCustomizer cmkMetricsCustomizer(
      ObjectProvider<MeterRegistry> registry) {
    return builder -> {
      MeterRegistry r = registry.getIfUnique();
      if (r != null) {
        CmkMetrics.builder(r).build().installOn(builder);
      }
    };
  }
}
