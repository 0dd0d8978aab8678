package dev.cmk.cli;

import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderDiscovery;
import java.util.Map;

/**
 * Where the tool finds its key provider factories. In production: {@link ProviderDiscovery} over
 * the tool's class loader ({@code META-INF/services} of the provider jars merged into {@code
 * cmk.jar}). Tests substitute one that reaches the loopback Key Vault, or one that proves a
 * provider is never built.
 *
 * <p><b>Security:</b> discovery only says which providers can be <em>built</em>; which vaults and
 * tokens a command may use is decided by the {@link KeyAllowList} before this is even called.
 */
@FunctionalInterface
interface ProviderFactories {
  /** {@code ServiceLoader} discovery; two factories claiming one id fail (never "first found"). */
  ProviderFactories SERVICE_LOADER = () -> ProviderDiscovery.discover(Cmk.class.getClassLoader());

  /**
   * The factories by provider id.
   *
   * @return an immutable map
   * @throws IllegalStateException if two factories claim one id
   */
  Map<String, KeyEncryptionKeyProviderFactory> discover();
}
