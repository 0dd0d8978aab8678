package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link CryptoObserver} that records everything it is told, for assertions: KEK calls as
 * "provider OPERATION OUTCOME", data-key cache hits and misses, rewrap outcomes and the services it
 * was attached to. Safe for concurrent reporting.
 */
public final class RecordingObserver implements CryptoObserver {
  public final AtomicInteger hits = new AtomicInteger();
  public final AtomicInteger misses = new AtomicInteger();
  public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  public final List<RewrapOutcome> rewraps = Collections.synchronizedList(new ArrayList<>());
  public final List<EnvelopeCrypto> attachedTo = new ArrayList<>();

  @Override
  public void attached(EnvelopeCrypto crypto) {
    attachedTo.add(crypto);
  }

  @Override
  public void kekCall(String providerId, KekOperation op, KekOutcome outcome, long nanos) {
    assertTrue(nanos >= 0);
    calls.add(providerId + " " + op + " " + outcome);
  }

  @Override
  public void dataKeyCacheHits(int count) {
    hits.addAndGet(count);
  }

  @Override
  public void dataKeyCacheMisses(int count) {
    misses.addAndGet(count);
  }

  @Override
  public void rewrapItem(RewrapOutcome outcome) {
    rewraps.add(outcome);
  }

  long count(String call) {
    synchronized (calls) {
      return calls.stream().filter(call::equals).count();
    }
  }
}
