/**
 * Test support for code built on cmk.
 *
 * <ul>
 *   <li>{@link dev.cmk.testkit.InMemoryKeyProvider}: a real RSA-OAEP-256 key provider held in
 *       memory, with key lifecycle controls (rotation, disable, expiry, soft delete), call counters
 *       and fault injection.
 *   <li>{@link dev.cmk.testkit.FaultInjectingProvider}: the same counters, latency and faults
 *       around any other {@link dev.cmk.api.spi.KeyEncryptionKeyProvider}.
 *   <li>{@link dev.cmk.testkit.KeyEncryptionKeyProviderContract}: the JUnit 5 contract every
 *       provider implementation passes.
 *   <li>{@link dev.cmk.testkit.ManualClock}: a clock that moves only when told to.
 * </ul>
 *
 * <p>Nothing in this package is meant for production use: the in-memory provider keeps private
 * keys in ordinary heap memory.
 */
package dev.cmk.testkit;
