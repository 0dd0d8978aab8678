package dev.cmk.core.fleet;

/**
 * What one instance knows of the fleet's shared state of its configured key, for status pages
 * and operators. Holds no secrets.
 *
 * @param keyId the record's id (the configured key's versionless reference)
 * @param generation the refresh generation this instance is at
 * @param known whether the store has answered since this instance started (until it does, the
 *     instance refuses requests)
 * @param unrecordedChange whether a local change still waits to be written (store outage or a
 *     lost race; retried at the next read)
 * @param reads store reads this instance made
 * @param writes store writes this instance attempted
 */
public record FleetView(
    String keyId, long generation, boolean known, boolean unrecordedChange, long reads,
    long writes) {}
