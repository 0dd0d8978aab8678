package dev.cmk.examples.dicom;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.fleet.FleetView;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The body of {@code GET /$cmk-status} and {@code POST /$cmk-refresh}: the guard's status, the
 * keyring's decrypt-only and retired keys, and this replica's view of the fleet's shared state.
 * Holds no secrets (key references and states only).
 */
final class CmkStatusJson {
  private CmkStatusJson() {}

  /**
   * The status fields.
   *
   * @param s the guard's status
   * @param crypto the store's crypto (keyring, fleet view)
   * @return the fields in a stable order
   */
  static Map<String, Object> of(KeyAccessStatus s, EnvelopeCrypto crypto) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("state", s.state().name());
    fields.put("since", s.since().toString());
    fields.put("cause", s.cause().name());
    fields.put("lastError", s.lastError());
    fields.put("graceRemainingSeconds", s.graceRemaining().toSeconds());
    fields.put("configuredKey", s.configuredKey() == null ? null : s.configuredKey().toString());
    fields.put("currentVersion",
        s.currentVersion() == null ? null : s.currentVersion().toString());
    fields.put("lastConfirmed", s.lastConfirmed() == null ? null : s.lastConfirmed().toString());
    fields.put("decryptOnlyKeys", sorted(crypto.keyring().decryptOnlyKeys()));
    fields.put("retiredKeys", sorted(crypto.keyring().retiredKeys()));
    fields.put("fleet", crypto.keyAccess().fleetView().map(CmkStatusJson::fleetFields)
        .orElse(null));
    return fields;
  }

  /** The shared key-access state as this replica knows it (see {@code FleetView}). */
  private static Map<String, Object> fleetFields(FleetView v) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("keyId", v.keyId());
    fields.put("generation", v.generation());
    fields.put("known", v.known());
    fields.put("unrecordedChange", v.unrecordedChange());
    fields.put("storeReads", v.reads());
    fields.put("storeWrites", v.writes());
    return fields;
  }

  private static List<String> sorted(Set<KeyReference> keys) {
    return keys.stream().map(KeyReference::toString).sorted().collect(Collectors.toList());
  }
}
