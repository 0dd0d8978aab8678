package dev.cmk.core.tenant;

import dev.cmk.core.KeyAccessSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Each tenant's probe interval: the configured one less a share of up to {@code spread} of it,
 * picked from the tenant id (the same on every rebuild and every replica). Tenants used for the
 * first time in the same second then probe at different intervals, so they drift apart within a
 * few intervals instead of probing in the same second forever; no tenant probes later than its
 * configured interval, and at most {@code 1 / (1 - spread)} times as often.
 */
final class ProbeSpread {
  private ProbeSpread() {}

  static KeyAccessSettings of(String tenantId, KeyAccessSettings s, double spread) {
    long interval = s.probeInterval().toMillis();
    long cut = (long) (interval * spread * unit(tenantId));
    return cut <= 0 ? s : s.withProbeInterval(Duration.ofMillis(interval - cut));
  }

  /** A number in [0, 1) from the tenant id, evenly spread (FNV-1a, then a 64-bit finalizer). */
  static double unit(String tenantId) {
    long h = 0xcbf29ce484222325L;
    for (byte b : tenantId.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53;
  }
}
