package dev.cmk.examples.fhir.internal;

import dev.cmk.core.KeyAccessGuard;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import java.util.Objects;

/**
 * Refuses data requests while the customer-managed key is not accessible, as the Azure FHIR
 * service does: HTTP 500 with an OperationOutcome ({@link KeyAccessOutcomes#refused}). Every
 * resource interaction calls {@link #check()} first, including those that touch no ciphertext
 * (delete, a search with no match), because the service as a whole is unavailable, not just
 * decryption. The capability statement and the admin operations do not call it.
 *
 * <p>Before deciding, it lets the guard run a probe that is due, so a request is what notices both
 * a revoked key (once the last confirmation is older than the probe interval) and a restored one.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class KeyAccessGate {
  private final KeyAccessGuard guard;

  /**
   * @param guard the key access guard
   */
  public KeyAccessGate(KeyAccessGuard guard) {
    this.guard = Objects.requireNonNull(guard, "guard");
  }

  /**
   * Passes while the key is accessible.
   *
   * @throws ca.uhn.fhir.rest.server.exceptions.InternalErrorException (HTTP 500, with an
   *     OperationOutcome) while the key is not accessible
   */
  public void check() {
    guard.probeIfDue();
    KeyAccessStatus status = guard.status();
    if (status.state() != KeyAccessState.AVAILABLE) {
      throw KeyAccessOutcomes.refused(status);
    }
  }

  /** The guard, whose status explains failures. */
  public KeyAccessGuard guard() {
    return guard;
  }
}
