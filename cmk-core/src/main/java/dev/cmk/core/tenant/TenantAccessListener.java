package dev.cmk.core.tenant;

import dev.cmk.core.KeyAccessEvent;

/**
 * Receives every tenant's key access events (loss and recovery of access, rotations picked up,
 * policy violations), for alerting and dashboards.
 *
 * <p><b>Thread safety:</b> called from request and probe threads of any tenant, concurrently;
 * implementations must be thread-safe and quick (never call a key provider from here). An
 * exception thrown here is logged and ignored.
 */
@FunctionalInterface
public interface TenantAccessListener {
  /**
   * One event of one tenant.
   *
   * @param tenantId the tenant
   * @param event what happened (no secrets)
   */
  void onEvent(String tenantId, KeyAccessEvent event);
}
