package dev.cmk.testkit.azurite;

import com.azure.core.http.HttpClient;
import com.azure.core.util.HttpClientOptions;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Azurite's Blob service (npm {@code azurite}, the version pinned by the package-lock.json beside
 * this class) as a child process on a free loopback port, with in-memory persistence.
 *
 * <p>Needs Node.js 20+ and npm on the PATH. Without them the calling test is skipped, except with
 * {@code CI=true}, where it fails: CI must run these tests. The package is installed once per
 * lock file ({@code npm ci --ignore-scripts}, about 40 s) into {@code ~/.cache/cmk-azurite/<hash>}
 * (or {@code -Dcmk.azurite.cache=DIR}); later runs and other modules reuse it.
 *
 * <p>{@link #shared()} is one server per test JVM, stopped when the JVM exits; {@link #start()}
 * gives a private one that the caller stops (for tests that take the server down).
 */
public final class Azurite implements AutoCloseable {
  /** Azurite's well-known development account (public, documented; unlocks nothing else). */
  public static final String ACCOUNT = "devstoreaccount1";

  /** The development account's well-known key. */
  public static final String ACCOUNT_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

  private static final String RESOURCES = "/dev/cmk/testkit/azurite/";
  private static final String WHO = "the Azurite tests need";
  private static final Pattern LISTENING =
      Pattern.compile("successfully listens on http://127\\.0\\.0\\.1:(\\d+)");
  private static final AtomicLong CONTAINERS = new AtomicLong();
  private static @Nullable Azurite shared;

  private final Process process;
  private final int port;
  private final Path workDir;

  private Azurite(Process process, int port, Path workDir) {
    this.process = process;
    this.port = port;
    this.workDir = workDir;
  }

  /** {@return the server of this JVM, started on first use} */
  public static synchronized Azurite shared() {
    if (shared == null || !shared.process.isAlive()) {
      Azurite server = start();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
      shared = server;
    }
    return shared;
  }

  /** {@return a new server (64 MiB of in-memory blob storage), which the caller closes} */
  public static Azurite start() {
    return start(64);
  }

  /**
   * A new server that keeps up to {@code extentMemoryLimitMiB} of blob content in memory (Azurite
   * refuses writes beyond it), for tests of large blobs. The caller closes it.
   *
   * @param extentMemoryLimitMiB Azurite's {@code --extentMemoryLimit}, in MiB (at least 16)
   * @return the server
   */
  public static Azurite start(int extentMemoryLimitMiB) {
    if (extentMemoryLimitMiB < 16) {
      throw new IllegalArgumentException("extentMemoryLimitMiB must be at least 16");
    }
    Path install = install();
    try {
      Path workDir = Files.createTempDirectory("cmk-azurite-");
      String main = install.resolve("node_modules/azurite/dist/src/blob/main.js").toString();
      Process p = new ProcessBuilder(node(), main, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
          "--extentMemoryLimit", Integer.toString(extentMemoryLimitMiB), "--disableTelemetry", "--skipApiVersionCheck",
          "--silent")
          .directory(workDir.toFile())
          .redirectErrorStream(true)
          .start();
      CompletableFuture<Integer> listening = new CompletableFuture<>();
      StringBuilder output = new StringBuilder();
      Thread drain = new Thread(() -> drain(p.getInputStream(), listening, output),
          "azurite-output");
      drain.setDaemon(true);
      drain.start();
      try {
        int port = listening.get(60, TimeUnit.SECONDS);
        return new Azurite(p, port, workDir);
      } catch (Exception e) {
        p.destroyForcibly();
        synchronized (output) {
          throw new IllegalStateException("Azurite did not start: " + output, e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void drain(InputStream in, CompletableFuture<Integer> listening,
      StringBuilder output) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          listening.complete(Integer.parseInt(m.group(1)));
        } else if (!listening.isDone()) {
          synchronized (output) {
            output.append(line).append('\n');
          }
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    listening.completeExceptionally(new IllegalStateException("Azurite exited"));
  }

  /** {@return the blob endpoint, e.g. http://127.0.0.1:41234/devstoreaccount1} */
  public String blobEndpoint() {
    return "http://127.0.0.1:" + port + "/" + ACCOUNT;
  }

  /** {@return the port Azurite listens on} */
  public int port() {
    return port;
  }

  /** {@return a connection string with the development account's key} */
  public String connectionString() {
    return connectionString(port);
  }

  /**
   * A connection string for the development account on a loopback port.
   *
   * @param port the port
   * @return the connection string
   */
  public static String connectionString(int port) {
    return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + ACCOUNT_KEY
        + ";BlobEndpoint=http://127.0.0.1:" + port + "/" + ACCOUNT + ";";
  }

  /** {@return a new, empty container's name, unique in this JVM} */
  public String createContainer() {
    String name = "cmk-" + ProcessHandle.current().pid() + "-" + CONTAINERS.incrementAndGet();
    client(name).create();
    return name;
  }

  /**
   * A client of one container with its own HTTP client (a separate replica) and short retries.
   *
   * @param container the container name
   * @return the client
   */
  public BlobContainerClient client(String container) {
    return client(connectionString(), container);
  }

  /**
   * A container client as a replica would build it: its own HTTP client, two tries 100 ms apart.
   *
   * @param connectionString the connection string
   * @param container the container name
   * @return the client
   */
  public static BlobContainerClient client(String connectionString, String container) {
    return new BlobContainerClientBuilder()
        .connectionString(connectionString)
        .containerName(container)
        .httpClient(HttpClient.createDefault(new HttpClientOptions()))
        .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 2, Duration.ofSeconds(5),
            Duration.ofMillis(100), Duration.ofMillis(100), null))
        .buildClient();
  }

  /** Stops the server (forcibly: it keeps nothing). */
  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    NodePackages.deleteTree(workDir);
  }

  /** {@return the node executable, after checking it runs and is 20 or newer} */
  private static String node() {
    return node("node");
  }

  /**
   * Checks that {@code node} runs and is Node.js 20 or newer.
   *
   * @param node the executable to check
   * @return {@code node}
   * @throws IllegalStateException if not, and the environment has {@code CI=true}
   * @throws org.opentest4j.TestAbortedException if not, outside CI (the test is skipped)
   */
  public static String node(String node) {
    return NodePackages.node(node, 20, WHO);
  }

  /** Installs the pinned Azurite once per lock file; returns the directory. */
  public static synchronized Path install() {
    node();
    Path cache = Path.of(System.getProperty("cmk.azurite.cache",
        System.getProperty("user.home") + "/.cache/cmk-azurite"));
    return NodePackages.install("Azurite", resource("package.json"),
        resource("package-lock.json"), cache, WHO);
  }

  private static byte[] resource(String name) {
    try (InputStream in = Azurite.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCES + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "Azurite[" + blobEndpoint() + "]";
  }
}
