package dev.cmk.examples.dicom;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.examples.support.DemoClock;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DICOMweb store (STOW-RS, WADO-RS, QIDO-RS) for DICOM instances, encrypted at rest under a
 * customer-managed key: embedded Jetty 12 in front of a directory of cmk envelopes, one per
 * instance plus one per instance's metadata (attributes and frame offsets).
 *
 * <pre>{@code
 * try (DicomStoreServer server = DicomStoreServer.builder()
 *     .crypto(crypto)                       // EnvelopeCrypto with the customer's key
 *     .dataDirectory(Path.of("/var/lib/dicom"))
 *     .port(8080)
 *     .build()
 *     .start()) {
 *   server.join();
 * }
 * }</pre>
 *
 * <p>Endpoints: STOW-RS {@code POST /studies}; QIDO-RS {@code GET /studies}, {@code /series},
 * {@code /instances} and their study and series forms; WADO-RS retrieve, {@code metadata} and
 * {@code frames}; the raw instance resource {@code POST|PUT|GET|HEAD|DELETE
 * /studies/{study}/series/{series}/instances/{sop}} (GET honours a single {@code Range}); {@code
 * GET /$cmk-status} and {@code POST /$cmk-refresh}. See the module README for statuses and error
 * bodies (507 on a full disk).
 *
 * <p><b>Security guarantees:</b> no plaintext is written to disk, attributes included (the search
 * index is in memory only); each instance's envelope, and its metadata envelope, is bound to its
 * three UIDs; frames are decrypted from only the segments that hold them; UIDs are validated
 * before they name files; nothing of a stored instance that fails authentication is sent from its
 * failing segment on; while the key is not accessible,
 * requests that need it fail with HTTP 500 and nothing is written. There is no authentication or
 * TLS: bind to loopback (the default) or put the server behind a gateway that provides both.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; requests run on a bounded Jetty thread pool and
 * each uses a constant amount of memory (a few 64 KiB buffers) whatever the instance size.
 */
public final class DicomStoreServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DicomStoreServer.class);
  /** Default largest accepted instance: 32 GiB. */
  public static final long DEFAULT_MAX_INSTANCE_SIZE = 32L << 30;
  /** Default time {@link #close()} gives requests in flight: 5 seconds. */
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(5);
  /** Default maximum number of request threads. */
  public static final int DEFAULT_MAX_THREADS = 32;

  private final EnvelopeCrypto crypto;
  private final Path dataDirectory;
  private final String host;
  private final int port;
  private final int maxThreads;
  private final long maxInstanceSize;
  private final Duration stopTimeout;
  private final DemoClock demoClock; // null unless demonstrating
  private final UnaryOperator<SeekableByteChannel> readChannels; // tests only
  private final InstanceWriter.TempFiles tempFiles; // tests only
  private Server jetty; // guarded by this
  private ServerConnector connector; // guarded by this

  private DicomStoreServer(Builder b) {
    this.crypto = b.crypto;
    this.dataDirectory = b.dataDirectory;
    this.host = b.host != null ? b.host : "127.0.0.1";
    this.port = b.port != null ? b.port : 0;
    this.maxThreads = b.maxThreads != null ? b.maxThreads : DEFAULT_MAX_THREADS;
    this.maxInstanceSize = b.maxInstanceSize != null ? b.maxInstanceSize : DEFAULT_MAX_INSTANCE_SIZE;
    this.stopTimeout = b.stopTimeout != null ? b.stopTimeout : DEFAULT_STOP_TIMEOUT;
    this.demoClock = b.demoClock;
    this.readChannels = b.readChannels;
    this.tempFiles = b.tempFiles;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the data directory (removing uploads a previous process left unfinished) and starts
   * serving.
   *
   * @return this server
   * @throws IOException if the data directory cannot be used or the port cannot be bound
   * @throws IllegalStateException if the server was already started
   */
  public synchronized DicomStoreServer start() throws IOException {
    if (jetty != null) {
      throw new IllegalStateException("already started");
    }
    InstanceStore store = new InstanceStore(dataDirectory, crypto, maxInstanceSize);
    if (readChannels != null) {
      store.readChannels(readChannels);
    }
    InstanceWriter writer = new InstanceWriter(store, tempFiles != null ? tempFiles
        : temp -> FileChannel.open(temp, StandardOpenOption.WRITE));
    InstanceIndex index = new InstanceIndex(store);
    try {
      index.ensureLoaded();
    } catch (RuntimeException e) {
      // The key is not accessible now: the index is loaded by the first search that can.
      LOG.atWarn().setMessage("dicom.index-not-loaded")
          .addKeyValue("error", e.getClass().getSimpleName() + ": " + e.getMessage()).log();
    }
    QueuedThreadPool threads = new QueuedThreadPool(maxThreads, Math.min(8, maxThreads));
    threads.setName("dicom-store");
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
    c.setHost(host);
    c.setPort(port);
    server.addConnector(c);
    server.setHandler(new DicomStoreHandler(store, writer, index, demoClock));
    server.setStopTimeout(stopTimeout.toMillis());
    try {
      server.start();
    } catch (IOException e) {
      stopQuietly(server, e);
      throw e;
    } catch (Exception e) {
      stopQuietly(server, e);
      throw new IllegalStateException("the HTTP server did not start", e);
    }
    jetty = server;
    connector = c;
    return this;
  }

  private static void stopQuietly(Server server, Exception cause) {
    try {
      server.stop();
    } catch (Exception e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * The bound port (useful with port 0).
   *
   * @throws IllegalStateException if not started
   */
  public synchronized int port() {
    if (connector == null) {
      throw new IllegalStateException("not started");
    }
    return connector.getLocalPort();
  }

  /**
   * The base URI, e.g. {@code http://127.0.0.1:8080/}.
   *
   * @throws IllegalStateException if not started
   */
  public URI uri() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return URI.create("http://" + h + ":" + port() + "/");
  }

  /** The data directory as configured. */
  public Path dataDirectory() {
    return dataDirectory;
  }

  /**
   * Waits until the server stops.
   *
   * @throws InterruptedException if interrupted while waiting
   * @throws IllegalStateException if not started
   */
  public void join() throws InterruptedException {
    Server server;
    synchronized (this) {
      if (jetty == null) {
        throw new IllegalStateException("not started");
      }
      server = jetty;
    }
    server.join();
  }

  /**
   * Stops serving; requests in flight get up to the stop timeout (default 5 seconds), idle
   * connections are closed. Does not close the {@link
   * EnvelopeCrypto}, which the application owns. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (jetty == null) {
      return;
    }
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("the HTTP server did not stop cleanly", e);
    } finally {
      jetty = null;
      connector = null;
    }
  }

  /**
   * Configures a {@link DicomStoreServer}. {@link #crypto} and {@link #dataDirectory} are
   * required; each setting may be given once (a second call is an {@link IllegalStateException}).
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private EnvelopeCrypto crypto;
    private Path dataDirectory;
    private String host;
    private Integer port;
    private Integer maxThreads;
    private Long maxInstanceSize;
    private Duration stopTimeout;
    private DemoClock demoClock;
    private UnaryOperator<SeekableByteChannel> readChannels;
    private InstanceWriter.TempFiles tempFiles;

    private Builder() {}

    /** Tests only: wraps every channel an instance is read through (e.g. to count bytes). */
    Builder readChannels(UnaryOperator<SeekableByteChannel> wrapper) {
      once(this.readChannels, "readChannels");
      this.readChannels = Objects.requireNonNull(wrapper, "wrapper");
      return this;
    }

    /** Tests only: opens upload files (e.g. onto /dev/full, which reports ENOSPC). */
    Builder tempFiles(InstanceWriter.TempFiles tempFiles) {
      once(this.tempFiles, "tempFiles");
      this.tempFiles = Objects.requireNonNull(tempFiles, "tempFiles");
      return this;
    }

    private static void once(Object current, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set");
      }
    }

    /**
     * Encrypts and decrypts instances (its write key and key policy are the customer-managed
     * key's); owned by the caller, not closed by the server.
     *
     * @param crypto the crypto
     * @return this builder
     * @throws NullPointerException if {@code crypto} is null
     * @throws IllegalStateException if already set
     */
    public Builder crypto(EnvelopeCrypto crypto) {
      once(this.crypto, "crypto");
      this.crypto = Objects.requireNonNull(crypto, "crypto");
      return this;
    }

    /**
     * Where instances are stored (created if missing; one server process per directory).
     *
     * @param dataDirectory the directory
     * @return this builder
     * @throws NullPointerException if {@code dataDirectory} is null
     * @throws IllegalStateException if already set
     */
    public Builder dataDirectory(Path dataDirectory) {
      once(this.dataDirectory, "dataDirectory");
      this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
      return this;
    }

    /**
     * The address to listen on (default {@code 127.0.0.1}; the server has no authentication).
     *
     * @param host a host name or IP address
     * @return this builder
     * @throws NullPointerException if {@code host} is null
     * @throws IllegalStateException if already set
     */
    public Builder host(String host) {
      once(this.host, "host");
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /**
     * The port (default 0: any free port, see {@link DicomStoreServer#port()}).
     *
     * @param port 0&ndash;65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     * @throws IllegalStateException if already set
     */
    public Builder port(int port) {
      once(this.port, "port");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535");
      }
      this.port = port;
      return this;
    }

    /**
     * Maximum request threads (default {@value DicomStoreServer#DEFAULT_MAX_THREADS}); bounds memory, since
     * each request holds a few 64 KiB buffers.
     *
     * @param maxThreads at least 8 (Jetty needs some for accepting and selecting)
     * @return this builder
     * @throws IllegalArgumentException if less than 8
     * @throws IllegalStateException if already set
     */
    public Builder maxThreads(int maxThreads) {
      once(this.maxThreads, "maxThreads");
      if (maxThreads < 8) {
        throw new IllegalArgumentException("maxThreads must be at least 8");
      }
      this.maxThreads = maxThreads;
      return this;
    }

    /**
     * Largest instance accepted, in bytes (default 32 GiB); larger uploads get 413 and nothing is
     * stored.
     *
     * @param bytes at least 132 (the DICOM preamble and prefix)
     * @return this builder
     * @throws IllegalArgumentException if less than 132
     * @throws IllegalStateException if already set
     */
    public Builder maxInstanceSize(long bytes) {
      once(this.maxInstanceSize, "maxInstanceSize");
      if (bytes < InstanceStore.PREAMBLE_LENGTH + 4) {
        throw new IllegalArgumentException("maxInstanceSize must be at least 132 bytes");
      }
      this.maxInstanceSize = bytes;
      return this;
    }

    /**
     * How long {@link DicomStoreServer#close()} waits for requests in flight (default 5 seconds;
     * zero stops at once, cutting them off).
     *
     * @param stopTimeout the time, not negative
     * @return this builder
     * @throws NullPointerException if {@code stopTimeout} is null
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException if already set
     */
    public Builder stopTimeout(Duration stopTimeout) {
      once(this.stopTimeout, "stopTimeout");
      Objects.requireNonNull(stopTimeout, "stopTimeout");
      if (stopTimeout.isNegative()) {
        throw new IllegalArgumentException("stopTimeout must not be negative");
      }
      this.stopTimeout = stopTimeout;
      return this;
    }

    /**
     * Demonstrations and tests only: serves {@code POST /$demo-clock?advance=PT31M}, which moves
     * {@code clock} forward. The crypto must run on the same clock ({@code
     * EnvelopeCryptoBuilder.clock}) for the jump to reach the key-access guard.
     *
     * @param clock the demo clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     * @throws IllegalStateException if already set
     */
    public Builder demoClock(DemoClock clock) {
      once(this.demoClock, "demoClock");
      this.demoClock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the server (not started yet: see {@link DicomStoreServer#start()}).
     *
     * @return the server
     * @throws IllegalStateException if {@code crypto} or {@code dataDirectory} is missing
     */
    public DicomStoreServer build() {
      if (crypto == null) {
        throw new IllegalStateException("crypto is required");
      }
      if (dataDirectory == null) {
        throw new IllegalStateException("dataDirectory is required");
      }
      return new DicomStoreServer(this);
    }
  }
}
