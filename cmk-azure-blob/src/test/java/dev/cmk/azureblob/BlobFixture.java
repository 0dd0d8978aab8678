package dev.cmk.azureblob;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessSettings;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.azurite.Azurite;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * One Azurite container, an in-memory key on a manual clock, the crypto and the client under test;
 * every HTTP exchange is recorded (method, range asked for, bytes answered).
 */
final class BlobFixture implements AutoCloseable {
  /** One HTTP exchange as the wire saw it. */
  record Exchange(String method, String url, String range, int status, long responseBytes) {}

  final ManualClock clock = ManualClock.create();
  final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  final KeyReference key = provider.manager().createKey("blob-data", 2048);
  final EnvelopeCrypto crypto;
  final BlobContainerClient container;
  final EnvelopeBlobClient client;
  final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
  /**
   * The n-th Put Block (from 1) is sent with another block id than the one signed, so Azurite
   * refuses it (403); 0: none.
   */
  final AtomicInteger breakBlock = new AtomicInteger();
  private final AtomicInteger blocks = new AtomicInteger();

  BlobFixture(Azurite azurite, int segmentSize, int blockSize, int maxConcurrency) {
    this.crypto = EnvelopeCrypto.builder()
        .provider(provider)
        .writeKey(key.versionless())
        .clock(clock)
        .sleeper(clock::advance)
        .segmentSize(segmentSize)
        .build();
    String name = azurite.createContainer();
    this.container = new BlobContainerClientBuilder()
        .connectionString(azurite.connectionString())
        .containerName(name)
        .addPolicy(new Recorder())
        .buildClient();
    this.client = EnvelopeBlobClient.builder()
        .crypto(crypto)
        .container(container)
        .blockSize(blockSize)
        .maxConcurrency(maxConcurrency)
        .build();
  }

  /** Disables the key and moves past the probe interval, so the next guarded call probes. */
  void revoke() {
    provider.manager().setEnabled(key, false);
    clock.advance(KeyAccessSettings.DEFAULT.probeInterval().plusSeconds(1));
  }

  /** Re-enables the key; the guard reopens on its next probe. */
  void restore() {
    provider.manager().setEnabled(key, true);
    clock.advance(Duration.ofMinutes(2));
  }

  List<Exchange> gets() {
    return exchanges.stream().filter(e -> e.method().equals("GET")).toList();
  }

  @Override
  public void close() {
    client.close();
    crypto.close();
  }

  private final class Recorder implements HttpPipelinePolicy {
    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      String method = context.getHttpRequest().getHttpMethod().toString();
      String url = context.getHttpRequest().getUrl().toString();
      if (method.equals("PUT") && url.contains("comp=block&")
          && blocks.incrementAndGet() == breakBlock.get()) {
        url = url.replaceAll("blockid=[^&]*", "blockid=not-base64!");
        context.getHttpRequest().setUrl(url);
      }
      String range = context.getHttpRequest().getHeaders().getValue("x-ms-range");
      String sent = url;
      return next.process().doOnNext(r -> {
        String length = r.getHeaderValue("Content-Length");
        exchanges.add(new Exchange(method, sent, range == null ? "" : range, r.getStatusCode(),
            method.equals("GET") && length != null ? Long.parseLong(length) : 0));
      });
    }
  }
}
