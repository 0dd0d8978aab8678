package dev.cmk.spring.boot;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configures an {@link EnvelopeCrypto} bean from the {@code cmk.*} properties ({@link
 * CmkProperties}): the key provider that {@code cmk.provider} names, the write key, the key policy
 * preset, the guard settings and the decrypt-only keys; the application's {@link Clock} bean when
 * it has one; then every {@link EnvelopeCryptoBuilderCustomizer}. The guard's background probe
 * runs on the starter's own {@link CmkProbeScheduler}.
 *
 * <p>Backs off when the application defines its own {@link EnvelopeCrypto} bean (the health
 * indicator and the endpoint still apply to it), and when {@code cmk.enabled=false}. On shutdown
 * the {@link EnvelopeCrypto} is closed (cached data keys destroyed, probe cancelled), then the
 * provider and the scheduler.
 */
@AutoConfiguration
@ConditionalOnClass(EnvelopeCrypto.class)
@ConditionalOnProperty(prefix = "cmk", name = "enabled", havingValue = "true",
    matchIfMissing = true)
public class CmkAutoConfiguration {

  /** For Spring. */
  public CmkAutoConfiguration() {}

  /** The beans made from the properties, unless the application has its own. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(EnvelopeCrypto.class)
  @EnableConfigurationProperties(CmkProperties.class)
  static class EnvelopeCryptoConfiguration {

    @Bean(destroyMethod = "close")
    CmkProbeScheduler cmkProbeScheduler() {
      return new CmkProbeScheduler();
    }

    @Bean(destroyMethod = "close")
    KeyEncryptionKeyProvider cmkKeyEncryptionKeyProvider(
        CmkProperties properties, ObjectProvider<Clock> clock,
        ConfigurableListableBeanFactory beans) {
      return KeyProviders.create(
          properties, clock.getIfUnique(), beans, beans.getBeanClassLoader());
    }

    @Bean(destroyMethod = "close")
    EnvelopeCrypto envelopeCrypto(
        CmkProperties properties,
        @Qualifier("cmkKeyEncryptionKeyProvider") KeyEncryptionKeyProvider provider,
        CmkProbeScheduler scheduler,
        ObjectProvider<Clock> clock,
        ObjectProvider<EnvelopeCryptoBuilderCustomizer> customizers) {
      EnvelopeCryptoBuilder builder = EnvelopeCrypto.builder().provider(provider);
      properties.keyReference().ifPresent(builder::writeKey);
      if (!properties.decryptOnlyKeys().isEmpty()) {
        builder.decryptOnlyKeys(properties.decryptOnlyKeyReferences());
      }
      builder.keyPolicy(properties.policy().policy());
      builder.keyAccess(properties.guard().toSettings());
      Clock c = clock.getIfUnique();
      if (c != null) {
        builder.clock(c);
      }
      if (properties.guard().backgroundProbe()) {
        builder.backgroundProbe(scheduler.executor());
      }
      customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
      return builder.build();
    }
  }
}
