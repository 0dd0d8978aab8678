package dev.cmk.testkit;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters, latency and faults behind {@link FaultControls}, shared by {@link
 * InMemoryKeyProvider} and {@link FaultInjectingProvider}. A provider calls {@link #before} at the
 * start of each operation.
 *
 * <p>Thread safety: counters are atomic; the scripted and persistent faults are guarded by {@code
 * lock}; identity denial and latency are volatile.
 */
final class FaultInjector implements FaultControls {

  /** A scripted failure with the number of calls it still applies to. */
  private static final class Scripted {
    final Fault fault;
    int remaining;

    Scripted(Fault fault, int remaining) {
      this.fault = fault;
      this.remaining = remaining;
    }
  }

  private final Map<Operation, AtomicLong> counts;
  private final Object lock = new Object();
  private final Map<Operation, Deque<Scripted>> scripted = new EnumMap<>(Operation.class);
  private final Map<Operation, Fault> persistent = new EnumMap<>(Operation.class);
  private volatile boolean identityDenied;
  private volatile Duration latency;

  FaultInjector(Duration latency) {
    Map<Operation, AtomicLong> c = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      c.put(op, new AtomicLong());
      scripted.put(op, new ArrayDeque<>());
    }
    this.counts = Collections.unmodifiableMap(c);
    this.latency = checkLatency(latency);
  }

  static Duration checkLatency(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative");
    }
    return latency;
  }

  /**
   * Counts the call, sleeps for the latency and throws the failure due, if any.
   *
   * @param operation the call
   * @param reference the key it is about, for exception messages
   */
  void before(Operation operation, KeyReference reference) {
    counts.get(operation).incrementAndGet();
    sleep(operation, reference);
    Fault next = null;
    synchronized (lock) {
      Deque<Scripted> queue = scripted.get(operation);
      Scripted head = queue.peekFirst();
      if (head != null && head.fault.appliesTo(reference)) {
        next = head.fault;
        if (--head.remaining == 0) {
          queue.removeFirst();
        }
      }
    }
    if (next != null) {
      throw next.exceptionFor(operation, reference);
    }
    if (identityDenied) {
      throw new KeyAccessDeniedException(
          "injected fault: the identity is not authorized to use the key",
          KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED,
          reference);
    }
    Fault fault;
    synchronized (lock) {
      fault = persistent.get(operation);
    }
    if (fault != null && fault.appliesTo(reference)) {
      throw fault.exceptionFor(operation, reference);
    }
  }

  private void sleep(Operation operation, KeyReference reference) {
    Duration d = latency;
    if (d.isZero()) {
      return;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyProviderUnavailableException(
          "interrupted while waiting for the key provider ("
              + operation.name().toLowerCase(Locale.ROOT)
              + ")",
          reference,
          e);
    }
  }

  @Override
  public void failNext(Operation operation, int times, Fault fault) {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(fault, "fault");
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1");
    }
    synchronized (lock) {
      scripted.get(operation).addLast(new Scripted(fault, times));
    }
  }

  @Override
  public void setFault(Operation operation, Fault fault) {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(fault, "fault");
    synchronized (lock) {
      persistent.put(operation, fault);
    }
  }

  @Override
  public void clearFault(Operation operation) {
    Objects.requireNonNull(operation, "operation");
    synchronized (lock) {
      persistent.remove(operation);
    }
  }

  @Override
  public void clearFaults() {
    synchronized (lock) {
      persistent.clear();
      scripted.values().forEach(Deque::clear);
      identityDenied = false;
    }
  }

  @Override
  public void denyIdentity(boolean denied) {
    identityDenied = denied;
  }

  @Override
  public boolean identityDenied() {
    return identityDenied;
  }

  @Override
  public void setLatency(Duration latency) {
    this.latency = checkLatency(latency);
  }

  @Override
  public Duration latency() {
    return latency;
  }

  @Override
  public long count(Operation operation) {
    return counts.get(Objects.requireNonNull(operation, "operation")).get();
  }

  @Override
  public void resetCounters() {
    counts.values().forEach(c -> c.set(0));
  }

  /** A short summary for the owning provider's {@code toString}. */
  String summary() {
    StringBuilder sb = new StringBuilder();
    for (Operation op : Operation.values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(op.name().toLowerCase(Locale.ROOT)).append('=').append(counts.get(op).get());
    }
    return sb.toString();
  }
}
