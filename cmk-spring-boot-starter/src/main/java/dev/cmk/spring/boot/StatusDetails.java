package dev.cmk.spring.boot;

import dev.cmk.core.KeyAccessStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The guard's status as name/value pairs for the health indicator and the endpoint. Key
 * references are not secret; no key bytes, PINs, passwords or tokens exist in a {@link
 * KeyAccessStatus} to begin with.
 */
final class StatusDetails {
  private StatusDetails() {}

  static Map<String, Object> of(KeyAccessStatus status, boolean withError) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("state", status.state().name());
    d.put("since", status.since().toString());
    d.put("cause", status.cause().name());
    d.put("graceRemaining", status.graceRemaining().toString());
    if (status.configuredKey() != null) {
      d.put("key", status.configuredKey().toString());
    }
    if (status.currentVersion() != null) {
      d.put("currentVersion", status.currentVersion().toString());
    }
    if (status.lastConfirmed() != null) {
      d.put("lastConfirmed", status.lastConfirmed().toString());
    }
    if (withError && status.lastError() != null) {
      d.put("lastError", status.lastError());
    }
    return d;
  }
}
