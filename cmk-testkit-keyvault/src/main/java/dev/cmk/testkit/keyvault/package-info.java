/**
 * A loopback Azure Key Vault / Managed HSM keys data plane for tests ({@link
 * dev.cmk.testkit.keyvault.LoopbackKeyVault}): HTTPS on a free loopback port, a token service for
 * managed identities, access control per identity, injectable faults, recorded requests and a
 * {@link dev.cmk.api.spi.KeyManager} for the keys it holds. Test support only.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.testkit.keyvault;

import org.jspecify.annotations.NullMarked;
