package dev.cmk.spring.boot;

import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import java.time.Clock;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Builds the one key provider that {@code cmk.provider} names. Each provider module is an
 * optional dependency of the starter: the classes of a module are touched only when its kind is
 * configured, and a missing module is reported by its Maven coordinates.
 */
final class KeyProviders {
  private KeyProviders() {}

  static KeyEncryptionKeyProvider create(
      CmkProperties properties, Clock clock, BeanFactory beans, ClassLoader classLoader) {
    CmkProperties.ProviderKind kind = properties.provider();
    if (!ClassUtils.isPresent(kind.providerClass(), classLoader)) {
      throw new IllegalStateException("cmk.provider=" + kind.propertyValue()
          + " needs the module dev.cmk:" + kind.artifactId() + " on the class path");
    }
    switch (kind) {
      case KEY_VAULT:
      case MANAGED_HSM:
        return KeyVaultProviders.create(properties, clock, beans);
      case PKCS11:
        return Pkcs11Providers.create(properties.pkcs11(), clock);
      case KEYSTORE:
        return KeystoreProviders.create(properties.keystore(), clock);
      default:
        throw new AssertionError(kind);
    }
  }
}
