/**
 * Test support for code built on cmk.
 *
 * <ul>
 *   <li>{@link dev.cmk.testkit.InMemoryKeyProvider}: a real RSA-OAEP-256 key provider held in
 *       memory, with key lifecycle controls (rotation, disable, expiry, soft delete) and a {@link
 *       dev.cmk.api.spi.KeyManager}.
 *   <li>{@link dev.cmk.testkit.FaultInjectingProvider}: call counters, latency and injected faults
 *       ({@link dev.cmk.testkit.FaultControls}, {@link dev.cmk.testkit.Fault}) around any {@link
 *       dev.cmk.api.spi.KeyEncryptionKeyProvider}.
 *   <li>The JUnit 5 provider contracts, one concept each, over a {@link
 *       dev.cmk.testkit.ContractSubject}: {@link dev.cmk.testkit.WrapUnwrapContract}, {@link
 *       dev.cmk.testkit.KeyVersionsContract}, {@link dev.cmk.testkit.KeyNotFoundContract}, {@link
 *       dev.cmk.testkit.InvalidCiphertextContract}, {@link dev.cmk.testkit.KeyManagerContract},
 *       {@link dev.cmk.testkit.LossOfAccessContract}; {@link
 *       dev.cmk.testkit.KeyEncryptionKeyProviderContract} combines the first four.
 *   <li>{@link dev.cmk.testkit.ManualClock}: a clock that moves only when told to.
 *   <li>{@link dev.cmk.testkit.FailingInputStream}: a stream that fails at a chosen position;
 *       {@link dev.cmk.testkit.GeneratedInputStream}: a stream of any length generated as it is
 *       read, for constant-memory tests.
 *   <li>{@link dev.cmk.testkit.TestKeyPairs}: shared RSA key pairs, generated once per JVM.
 *   <li>{@link dev.cmk.testkit.TestKeyDescriptions}: the description of a usable key, for
 *       hand-written test providers.
 *   <li>{@link dev.cmk.testkit.ModuleDescriptors}: pins a module's exports in one call.
 *   <li>{@link dev.cmk.testkit.WycheproofVectors}: Project Wycheproof's RSA-OAEP vectors.
 * </ul>
 *
 * <p>The loopback Key Vault server is its own artifact, {@code cmk-testkit-keyvault} (package
 * {@code dev.cmk.testkit.keyvault}).
 *
 * <p>Nothing in this package is meant for production use: the in-memory provider keeps private
 * keys in ordinary heap memory.
 *
 * <p>Non-null by default: nothing here accepts or returns null unless marked {@link
 * org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.testkit;

import org.jspecify.annotations.NullMarked;
