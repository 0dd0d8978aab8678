package dev.cmk.core.tenant;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.LossCause;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What stays of an evicted tenant whose key needs an explicit refresh: enough to answer {@code
 * status} and refuse every request exactly as its guard did, without an instance or a provider
 * call (about a hundred bytes). Only a successful {@link TenantRegistry#refresh} removes it.
 *
 * @param since when access was found lost (as the guard reported it)
 * @param cause why
 * @param lastError the last provider error text (no secrets), or null
 * @param configuredKey the tenant's write key, or null
 */
record RefreshRequiredRecord(
    Instant since,
    LossCause cause,
    @Nullable String lastError,
    @Nullable KeyReference configuredKey) {

  static RefreshRequiredRecord of(KeyAccessStatus s) {
    return new RefreshRequiredRecord(s.since(), s.cause(), s.lastError(), s.configuredKey());
  }

  KeyAccessStatus status() {
    return new KeyAccessStatus(KeyAccessState.REFRESH_REQUIRED, since, cause, lastError,
        Duration.ZERO, configuredKey, null, null);
  }

  KeyAccessSuspendedException suspended(String tenantId) {
    return new KeyAccessSuspendedException("customer-managed key of tenant " + tenantId
        + (configuredKey == null ? "" : " (" + configuredKey + ")") + " is not accessible ("
        + cause + (lastError == null ? "" : ": " + lastError) + "); access was lost more than "
        + "the grace period ago, an explicit refresh is required", true, since, null);
  }
}
