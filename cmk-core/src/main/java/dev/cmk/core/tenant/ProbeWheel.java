package dev.cmk.core.tenant;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's one probe wheel: each turn (once a second) looks at every tenant and hands
 * those whose confirmation is due — or whose key is unavailable, so that backoff probes and the
 * deadline probe run on time — to the probe executor, never two probes of one tenant at once.
 * A probe runs the tenant's own {@code probeIfDue()} (the guard decides what is due), reads its
 * status, and tells the registry.
 *
 * <p>Thread-safe: a turn only reads the tenants' due times; probes run on the executor and take
 * only their tenant's locks.
 */
final class ProbeWheel {
  private static final Logger LOG = LoggerFactory.getLogger(ProbeWheel.class);

  private final Clock clock;
  private final Executor executor;
  private final BiConsumer<Tenant, KeyAccessStatus> probed;

  ProbeWheel(Clock clock, Executor executor, BiConsumer<Tenant, KeyAccessStatus> probed) {
    this.clock = clock;
    this.executor = executor;
    this.probed = probed;
  }

  /** One turn over {@code groups} of tenants. */
  void turn(Iterable<? extends Collection<Tenant>> groups) {
    Instant now = clock.instant();
    for (Collection<Tenant> group : groups) {
      for (Tenant t : group) {
        if (t.probeDue(now)) {
          try {
            executor.execute(() -> probe(t));
          } catch (RejectedExecutionException e) {
            t.probeFailed(now);
            t.probeDone();
          }
        }
      }
    }
  }

  private void probe(Tenant t) {
    try {
      EnvelopeCrypto c = t.builtOrNull();
      c.keyAccess().probeIfDue();
      Instant at = clock.instant();
      KeyAccessStatus s = c.keyAccess().status();
      t.observe(s, at);
      t.probed(s, at);
      probed.accept(t, s);
    } catch (RuntimeException e) {
      t.probeFailed(clock.instant());
      LOG.warn("event=cmk.tenant.probe-failed tenant={} error=\"{}\"", t.id, e.getMessage());
    } finally {
      t.probeDone();
    }
  }
}
