package dev.cmk.core.tenant;

import java.util.Optional;

/**
 * Where a {@link TenantRegistry} learns each tenant's key configuration; implemented by the
 * service (a table, a configuration file, a control-plane API).
 *
 * <p>It is read when a tenant is first used, when it is rebuilt after eviction, and on {@link
 * TenantRegistry#refresh(String)} — never per request. A change (another key, vault, identity or
 * policy) takes effect on the tenant's next {@code refresh}.
 *
 * <p><b>Thread safety:</b> implementations must be safe for concurrent use; calls for different
 * tenants may run at the same time. A call may block (a database read); it never runs under a lock
 * the registry shares between tenants.
 */
@FunctionalInterface
public interface TenantKeySource {
  /**
   * The key configuration of {@code tenantId}.
   *
   * @param tenantId the tenant, as the service names it
   * @return the configuration, or empty when the tenant is not known
   */
  Optional<TenantKeys> lookup(String tenantId);
}
