package dev.cmk.examples.dicom;

import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real {@link DicomStoreServer} on a free loopback port, with an in-memory key provider and a
 * manual clock (so tests can move past probe intervals and the grace window), and a JDK HTTP
 * client. The key is RSA-2048 and meets {@link KeyPolicy#dicomService()}.
 */
final class TestServer implements AutoCloseable {
  final ManualClock clock = ManualClock.create();
  final InMemoryKeyProvider kms;
  /** What the server uses: {@link #kms} with injectable faults. */
  final FaultInjectingProvider faults;
  final KeyReference keyVersion;
  final EnvelopeCrypto crypto;
  final DicomStoreServer server;
  final Path dataDirectory;
  final HttpClient http;

  private TestServer(Path dataDirectory, Long maxInstanceSize) throws IOException {
    this(dataDirectory, maxInstanceSize, b -> { });
  }

  private TestServer(Path dataDirectory, Long maxInstanceSize,
      java.util.function.Consumer<DicomStoreServer.Builder> configure) throws IOException {
    this.dataDirectory = dataDirectory;
    kms = InMemoryKeyProvider.builder().clock(clock).build();
    faults = FaultInjectingProvider.wrapping(kms);
    keyVersion = kms.importKey("dicom-kek", TestKeys.RSA_2048);
    crypto =
        EnvelopeCrypto.builder()
            .provider(faults)
            .writeKey(keyVersion.versionless())
            .keyPolicy(KeyPolicy.dicomService())
            .clock(clock)
            .sleeper(clock::advance)
            .build();
    DicomStoreServer.Builder b =
        DicomStoreServer.builder()
            .crypto(crypto)
            .dataDirectory(dataDirectory)
            .stopTimeout(Duration.ZERO); // the HTTP client's idle keep-alive would cost a second
    if (maxInstanceSize != null) {
      b.maxInstanceSize(maxInstanceSize);
    }
    configure.accept(b);
    server = b.build().start();
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  static TestServer start(Path dataDirectory) throws IOException {
    return new TestServer(dataDirectory, null);
  }

  /** A server whose builder {@code configure} may adjust first (test hooks). */
  static TestServer start(Path dataDirectory,
      java.util.function.Consumer<DicomStoreServer.Builder> configure) throws IOException {
    return new TestServer(dataDirectory, null, configure);
  }

  static TestServer start(Path dataDirectory, long maxInstanceSize) throws IOException {
    return new TestServer(dataDirectory, maxInstanceSize);
  }

  URI uri(String path) {
    return server.uri().resolve(path);
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> sendForBytes(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** PUTs (or POSTs) {@code body} as application/dicom. */
  HttpResponse<String> upload(String method, String path, byte[] body)
      throws IOException, InterruptedException {
    return send(
        request(path)
            .header("Content-Type", "application/dicom")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(request(path).GET().build());
  }

  /** A synthetic DICOM body of {@code length} bytes. */
  static byte[] dicom(long seed, int length) {
    return SyntheticDicom.array(seed, length);
  }

  static String instancePath(String study, String series, String sop) {
    return "/studies/" + study + "/series/" + series + "/instances/" + sop;
  }

  Path storedFile(String study, String series, String sop) {
    return dataDirectory.resolve(study).resolve(series).resolve(sop + InstanceStore.SUFFIX);
  }

  /** Files under the upload directory (should be none between requests). */
  List<Path> incomingFiles() throws IOException {
    try (Stream<Path> s = Files.list(dataDirectory.resolve(InstanceStore.INCOMING))) {
      return s.toList();
    }
  }

  /** A top-level string, number or boolean field of a flat JSON object, or null. */
  static String field(String json, String name) {
    Matcher m =
        Pattern.compile("\"" + Pattern.quote(name) + "\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}]*)")
            .matcher(json);
    if (!m.find()) {
      return null;
    }
    return m.group(2) != null ? m.group(2) : m.group(1);
  }

  /** Moves the clock past the probe interval, so the next request re-checks the key. */
  void afterProbeInterval() {
    clock.advance(Duration.ofSeconds(61));
  }

  /** Stops the server, then closes the crypto and the key provider, each even if one fails. */
  @Override
  public void close() {
    try (kms; crypto) {
      server.close();
    }
  }
}
