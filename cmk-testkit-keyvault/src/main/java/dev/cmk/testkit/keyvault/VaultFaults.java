package dev.cmk.testkit.keyvault;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Injected faults (5xx, throttling, latency, a per-vault request limit) and the request log of one
 * loopback vault. Guarded by the vault's lock.
 */
final class VaultFaults {
  private static final int MAX_RECORDS = 10_000;

  private final Object lock;
  private int failNext;
  private int failStatus;
  private int throttleNext;
  private long throttleRetryAfterSeconds = 1;
  private Duration latency = Duration.ZERO;
  private int requestLimit;
  private long requestLimitWindowNanos;
  private final ArrayDeque<Long> recentRequests = new ArrayDeque<>();

  private final ArrayDeque<RecordedRequest> records = new ArrayDeque<>();
  private long requestCount;
  private long throttledCount;

  VaultFaults(Object lock) {
    this.lock = lock;
  }

  void failNext(int count, int status) {
    synchronized (lock) {
      failNext = count;
      failStatus = status;
    }
  }

  void throttleNext(int count, long retryAfterSeconds) {
    synchronized (lock) {
      throttleNext = count;
      throttleRetryAfterSeconds = retryAfterSeconds;
    }
  }

  void setLatency(Duration latency) {
    synchronized (lock) {
      this.latency = latency;
    }
  }

  Duration latency() {
    synchronized (lock) {
      return latency;
    }
  }

  void setRequestLimit(int requests, Duration window) {
    synchronized (lock) {
      requestLimit = requests;
      requestLimitWindowNanos = window.toNanos();
      recentRequests.clear();
    }
  }

  void clearFaults() {
    synchronized (lock) {
      failNext = 0;
      throttleNext = 0;
      latency = Duration.ZERO;
      requestLimit = 0;
      recentRequests.clear();
    }
  }

  /**
   * Applies injected faults and the service limit to an authenticated request.
   *
   * @throws KeyVaultError 429 or 5xx when a fault or the limit applies
   */
  void apply() {
    synchronized (lock) {
      if (failNext > 0) {
        failNext--;
        if (failStatus == 503) {
          throw new KeyVaultError(
              503, "ServiceUnavailable", "The service is temporarily unavailable.", null, null);
        }
        throw new KeyVaultError(
            failStatus, "InternalServerError", "An unexpected error occurred.", null, null);
      }
      if (throttleNext > 0) {
        throttleNext--;
        throttledCount++;
        throw throttled(throttleRetryAfterSeconds);
      }
      if (requestLimit > 0) {
        long now = System.nanoTime();
        while (!recentRequests.isEmpty()
            && now - recentRequests.peekFirst() >= requestLimitWindowNanos) {
          recentRequests.pollFirst();
        }
        if (recentRequests.size() >= requestLimit) {
          long waitNanos = recentRequests.peekFirst() + requestLimitWindowNanos - now;
          long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
          throttledCount++;
          throw throttled(seconds);
        }
        recentRequests.addLast(now);
      }
    }
  }

  private static KeyVaultError throttled(long retryAfterSeconds) {
    return new KeyVaultError(
        429,
        "Throttled",
        "Request was not processed because too many requests were received. Reason: A1",
        null,
        retryAfterSeconds);
  }

  void record(RecordedRequest request) {
    synchronized (lock) {
      requestCount++;
      records.addLast(request);
      while (records.size() > MAX_RECORDS) {
        records.pollFirst();
      }
    }
  }

  List<RecordedRequest> records() {
    synchronized (lock) {
      return List.copyOf(records);
    }
  }

  long requestCount() {
    synchronized (lock) {
      return requestCount;
    }
  }

  long throttledCount() {
    synchronized (lock) {
      return throttledCount;
    }
  }

  void clearRecords() {
    synchronized (lock) {
      records.clear();
      requestCount = 0;
      throttledCount = 0;
    }
  }
}
