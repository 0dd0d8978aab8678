package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A FHIR server in a JVM process of its own ({@link FhirServerMain} with the test class path),
 * talked to over HTTP: for the tests that run several replicas, restart them or kill them.
 */
final class ServerProcess implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("FHIR server listening on (http://[^ ]+)");
  static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  private final Process process;
  private final URI base;

  private ServerProcess(Process process, URI base) {
    this.process = process;
    this.base = base;
  }

  /**
   * Starts a server and waits until it listens.
   *
   * @param log where its standard output and error go
   * @param args the server's options ({@code --port 0} is added)
   */
  static ServerProcess start(Path log, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), FhirServerMain.class.getName(),
        "--port", "0"));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      seen.append(line).append('\n');
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        Thread drain = new Thread(() -> drain(out, log), "drain-" + p.pid());
        drain.setDaemon(true);
        drain.start();
        java.nio.file.Files.writeString(log, seen.toString());
        return new ServerProcess(p, URI.create(m.group(1)));
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("the server did not start:\n" + seen);
  }

  private static void drain(BufferedReader out, Path log) {
    try (out) {
      String line;
      while ((line = out.readLine()) != null) {
        java.nio.file.Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  URI base() {
    return base;
  }

  /** {@return the answer to a request, status and body} */
  HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30))
        .header("Accept", "application/fhir+json");
    if (body != null) {
      b.header("Content-Type", "application/fhir+json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  int status(String method, String path) throws Exception {
    return send(method, path, null).statusCode();
  }

  /** Moves the server's demo clock forward. */
  void advance(Duration d) throws Exception {
    int s = status("POST", "/$demo-clock?advance=" + d);
    assertTrue(s == 200, "advancing the demo clock answered " + s);
  }

  /**
   * Sends {@code GET path} until the status matches (each request also lets the server check its
   * key), at most for {@code timeout} — a bound for a slow machine, not a sleep that asserts.
   *
   * @return the last status
   */
  int awaitStatus(String path, IntPredicate wanted, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    int s;
    do {
      s = status("GET", path);
      if (wanted.test(s)) {
        return s;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < end);
    fail(base + path + " still answers " + send("GET", "/$cmk-status", null).body());
    return s;
  }

  /**
   * Sends a signal with {@code kill -NAME pid} ({@code TERM} is what {@link Process#destroy()}
   * sends) and waits for the process to end.
   *
   * @param signal e.g. {@code TERM}, {@code INT}
   * @return the exit code
   */
  int signalAndWait(String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
        .inheritIO().start();
    if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      fail("kill -" + signal + " failed");
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      kill();
      fail("the server did not stop within 60 s of SIG" + signal);
    }
    return process.exitValue();
  }

  /** {@link Process#destroy()} (SIGTERM on Linux), then the exit code. */
  int destroyAndWait() throws Exception {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      kill();
      fail("the server did not stop within 60 s of destroy()");
    }
    return process.exitValue();
  }

  /** kill -9. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      kill();
    }
  }
}
