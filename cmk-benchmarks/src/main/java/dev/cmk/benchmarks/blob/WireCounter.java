package dev.cmk.benchmarks.blob;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/** Counts requests and the bytes answered to GETs (Content-Length), as the wire sees them. */
final class WireCounter implements HttpPipelinePolicy {
  final AtomicLong requests = new AtomicLong();
  final AtomicLong gets = new AtomicLong();
  final AtomicLong getBytes = new AtomicLong();

  @Override
  public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
    boolean get = context.getHttpRequest().getHttpMethod().toString().equals("GET");
    return next.process().doOnNext(r -> {
      requests.incrementAndGet();
      String length = r.getHeaderValue("Content-Length");
      if (get) {
        gets.incrementAndGet();
        if (length != null) {
          getBytes.addAndGet(Long.parseLong(length));
        }
      }
    });
  }

  void reset() {
    requests.set(0);
    gets.set(0);
    getBytes.set(0);
  }
}
