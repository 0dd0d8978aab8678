/**
 * Multi-tenant services: one process serving many customers, each with their own customer-managed
 * key, identity, key policy and loss-of-access state.
 *
 * <p>{@link dev.cmk.core.tenant.TenantRegistry} builds each tenant's {@link
 * dev.cmk.core.EnvelopeCrypto} lazily from a {@link dev.cmk.core.tenant.TenantKeySource} (tenant
 * id &rarr; {@link dev.cmk.core.tenant.TenantKeys}), shares one key provider per named vault or
 * identity (and so its rate budget) across tenants, keeps a bounded number of tenants resident,
 * and probes every resident tenant's key from one shared scheduler, spread over the probe
 * interval. Isolation is the point: one tenant's revoked key fails that tenant's requests only.
 *
 * <p>Non-null by default: parameters, return values and fields are never null unless marked
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cmk.core.tenant;

import org.jspecify.annotations.NullMarked;
