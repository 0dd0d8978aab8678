package dev.cmk.spring.boot;

import dev.cmk.core.EnvelopeCryptoBuilder;

/**
 * Adjusts the {@link EnvelopeCryptoBuilder} the starter prepared from {@code cmk.*} properties,
 * just before it builds the {@link dev.cmk.core.EnvelopeCrypto} bean. Every bean of this type is
 * applied, in {@link org.springframework.core.annotation.Order @Order} / {@link
 * org.springframework.core.Ordered} order.
 *
 * <p>The starter has already set the provider, the write key, the key policy, the guard settings
 * ({@code keyAccess}), the decrypt-only keys (when listed), the clock (when the application has a
 * {@link java.time.Clock} bean) and the background probe (unless {@code
 * cmk.guard.background-probe=false}); the builder refuses a second value for any of them. A
 * customizer typically adds a {@link dev.cmk.core.KeyAccessListener} (metrics, alerts), sets
 * data-key limits or cache bounds, the segment size, or adds another provider for reading old
 * envelopes.
 */
@FunctionalInterface
public interface EnvelopeCryptoBuilderCustomizer {

  /**
   * Customizes the builder.
   *
   * @param builder the builder, already configured from the properties
   */
  void customize(EnvelopeCryptoBuilder builder);
}
