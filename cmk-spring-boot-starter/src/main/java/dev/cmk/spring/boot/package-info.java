/**
 * Spring Boot auto-configuration for cmk.
 *
 * <ul>
 *   <li>{@link dev.cmk.spring.boot.CmkAutoConfiguration}: the {@link dev.cmk.core.EnvelopeCrypto}
 *       bean from the {@code cmk.*} properties ({@link dev.cmk.spring.boot.CmkProperties}), with
 *       the guard's background probe on {@link dev.cmk.spring.boot.CmkProbeScheduler}.
 *   <li>{@link dev.cmk.spring.boot.EnvelopeCryptoBuilderCustomizer} and {@link
 *       dev.cmk.spring.boot.KeyVaultProviderCustomizer}: the application's hooks into the builders.
 *   <li>{@link dev.cmk.spring.boot.CmkActuatorAutoConfiguration}: the health indicator {@link
 *       dev.cmk.spring.boot.CmkHealthIndicator} and the endpoint {@link
 *       dev.cmk.spring.boot.CmkEndpoint}, both named {@code cmk}.
 * </ul>
 *
 * <p>Helpers are package-private. No type here holds or prints key material or credentials.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.spring.boot;

import org.jspecify.annotations.NullMarked;
