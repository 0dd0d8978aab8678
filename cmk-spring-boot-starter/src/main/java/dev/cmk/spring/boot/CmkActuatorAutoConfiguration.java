package dev.cmk.spring.boot;

import dev.cmk.core.EnvelopeCrypto;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures the {@link CmkHealthIndicator} (health contributor {@code cmk}, off with {@code
 * management.health.cmk.enabled=false}) and the {@link CmkEndpoint} ({@code cmk}, exposed like any
 * endpoint with {@code management.endpoints.web.exposure.include}) for the application's one
 * {@link EnvelopeCrypto} bean, whether the starter made it or the application did. Each needs its
 * Actuator module on the class path ({@code spring-boot-starter-actuator}).
 */
@AutoConfiguration(after = CmkAutoConfiguration.class)
@ConditionalOnClass(EnvelopeCrypto.class)
public class CmkActuatorAutoConfiguration {

  /** For Spring. */
  public CmkActuatorAutoConfiguration() {}

  /** The health indicator. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  @ConditionalOnBean(EnvelopeCrypto.class)
  @ConditionalOnEnabledHealthIndicator("cmk")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "cmkHealthIndicator")
    CmkHealthIndicator cmkHealthIndicator(EnvelopeCrypto crypto) {
      return new CmkHealthIndicator(crypto);
    }
  }

  /** The endpoint. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(Endpoint.class)
  @ConditionalOnBean(EnvelopeCrypto.class)
  static class EndpointConfiguration {
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    CmkEndpoint cmkEndpoint(EnvelopeCrypto crypto) {
      return new CmkEndpoint(crypto);
    }
  }
}
