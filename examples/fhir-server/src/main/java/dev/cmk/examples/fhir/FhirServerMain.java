package dev.cmk.examples.fhir;

import dev.cmk.core.KeyAccessStatus;
import dev.cmk.examples.fhir.internal.ServerOptions;
import dev.cmk.examples.support.DemoClock;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;

/**
 * Starts the FHIR server from the command line and runs until stopped (Ctrl-C).
 *
 * <pre>
 * java -jar cmk-example-fhir-server.jar --port 8080 \
 *     --key-encryption-key-url https://contoso.vault.azure.net/keys/fhir-cmk \
 *     --identity UserAssigned --user-assigned-client-id 00000000-0000-0000-0000-000000000000
 *
 * java -jar cmk-example-fhir-server.jar --key-encryption-key-url local:fhir-cmk \
 *     --keystore keys.p12 --keystore-password-file keystore-password
 * </pre>
 *
 * <p>Exit codes: 0 after a normal stop (SIGTERM or SIGINT, e.g. Ctrl-C or {@code docker stop}), 1
 * if the server could not start (the key breaks the key policy, the port is taken, the keystore
 * cannot be opened), 2 for invalid options. Errors are one line on standard error. See {@link
 * ServerOptions#usage()} for every option.
 */
public final class FhirServerMain {
  private FhirServerMain() {}

  /**
   * Runs the server.
   *
   * @param args the options
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws InterruptedException {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err)
      throws InterruptedException {
    if (Arrays.asList(args).contains("--help")) {
      out.print(ServerOptions.usage());
      return 0;
    }
    ServerOptions options;
    try {
      options = ServerOptions.parse(args, env);
    } catch (RuntimeException e) {
      err.println("fhir-server: " + e.getMessage());
      return 2;
    }
    FhirServerBuilder builder =
        FhirServer.builder()
            .host(options.host())
            .port(options.port())
            .jdbcUrl(options.jdbcUrl())
            .keySettings(options.keySettings())
            .keyState(options.keyState());
    if (options.replicaName() != null) {
      builder.replicaName(options.replicaName());
    }
    if (options.demoClock()) {
      builder.demoClock(DemoClock.systemUtc());
    }
    FhirServer server;
    try {
      server = builder.build().start();
    } catch (RuntimeException e) {
      err.println("fhir-server: cannot start: " + e.getMessage());
      return 1;
    }
    // SIGTERM / SIGINT: close the server, join() returns, exit 0. The hook covers other exits.
    StopSignals.install(server::close);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "fhir-server-shutdown"));
    KeyAccessStatus status = server.keyAccess().status();
    out.println("FHIR server listening on " + server.baseUrl()
        + (options.demoClock() ? " (demo clock: POST /$demo-clock?advance=PT31M)" : ""));
    out.println("customer-managed key " + status.configuredKey() + ": " + status.state()
        + (status.currentVersion() == null ? "" : ", writing under version "
            + status.currentVersion().version().orElse("-"))
        + (options.keySettingsFile() == null ? ""
            : "; settings re-read from " + options.keySettingsFile() + " on POST /$cmk-refresh")
        + server.keyAccess().fleetView().map(f -> "; fleet generation " + f.generation()
            + (f.known() ? "" : " (key-state store not reachable yet)")).orElse(""));
    out.flush();
    server.join();
    return 0;
  }
}
