/**
 * JMH benchmarks that run cmk side by side with raw JDK {@code AES/GCM/NoPadding} in one JMH
 * invocation, so that the ratios between them survive machine noise.
 *
 * <p>Every benchmark uses the in-process {@code InMemoryKeyProvider} from cmk-testkit as the
 * key-encryption key, so no network is measured; with a warm data-key cache no RSA operation is on
 * the measured path either. See {@code cmk-benchmarks/README.md} for what each benchmark measures,
 * what the baseline does and the last results.
 */
package dev.cmk.benchmarks;
