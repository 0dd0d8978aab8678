package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.EnvelopeInfo;
import dev.cmk.testkit.azurite.Azurite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 2 through the tool with the blob data-key store ({@code azure-blob:CONTAINER-URL}) on
 * Azurite, the connection string read from a file: round trip, census and records rewrap across a
 * rotation, and neither the account key nor the connection string in any output (also with
 * {@code --verbose} for a missing container, exit 4).
 */
class CmkRecordsBlobIT {
  @TempDir Path dir;

  @Test
  void blobStore_roundTripCensusRewrap_connectionStringNeverPrinted() throws IOException {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    Path connection = dir.resolve("storage.conn");
    Files.writeString(connection, azurite.connectionString() + "\n");
    String spec = "azure-blob:" + azurite.blobEndpoint() + "/" + container;
    String[] store = {"--data-key-store", spec, "--data-key-store-connection-string-file",
        connection.toString()};
    CliFixture cli = new CliFixture(dir);
    String v1 = cli.createKey("kek", 2048);
    List<CliFixture.Result> runs = new ArrayList<>();

    CliFixture.Result enc = run(cli, runs, new byte[] {1, 2, 3}, store, "encrypt", "-k", "kek");
    CliFixture.Result dec = run(cli, runs, enc.stdout(), store, "decrypt");
    String v2 = cli.run("keys", "rotate", "kek").out().strip();
    CliFixture.Result rewrap = run(cli, runs, new byte[0], store, "records", "rewrap", "-k", "kek");
    CliFixture.Result census = run(cli, runs, new byte[0], store, "records", "census",
        "--format", "json");
    CliFixture.Result again = run(cli, runs, enc.stdout(), store, "decrypt");
    CliFixture.Result noCredential = cli.run("records", "census", "--data-key-store", spec,
        "--data-key-store-connection-string-file", dir.resolve("missing").toString());
    runs.add(noCredential);
    CliFixture.Result noContainer = cli.run("records", "census", "--verbose", "--data-key-store",
        "azure-blob:" + azurite.blobEndpoint() + "/no-such-container",
        "--data-key-store-connection-string-file", connection.toString());
    runs.add(noContainer);

    Map<String, Object> c = Json.parse(census);
    assertAll(
        () -> assertEquals(2, EnvelopeInfo.of(enc.stdout()).formatVersion()),
        () -> assertArrayEquals(new byte[] {1, 2, 3}, dec.stdout()),
        () -> assertTrue(rewrap.out().matches("(?s).*  re-wrapped +1  \\(from " + v1
            + ": 1\\)\n.*"), rewrap.out()),
        () -> assertEquals(1L, Json.integer(c.get("records"))),
        () -> assertEquals(spec, Json.string(c.get("store"))),
        () -> assertEquals(v2, Json.string(Json.object(Json.array(c.get("versions")).get(0))
            .get("key"))),
        () -> assertArrayEquals(new byte[] {1, 2, 3}, again.stdout()),
        () -> assertEquals(ExitCode.USAGE, noCredential.exitCode(), noCredential.toString()),
        () -> assertEquals(ExitCode.PROVIDER_UNAVAILABLE, noContainer.exitCode(),
            noContainer.toString()),
        () -> assertTrue(noContainer.stderr().contains("caused by:"), noContainer.stderr()),
        () -> assertTrue(noCredential.stderr().contains("storage connection string file "
            + dir.resolve("missing") + " cannot be read"), noCredential.stderr()));
    for (CliFixture.Result r : runs) {
      assertFalse(r.out().contains(Azurite.ACCOUNT_KEY) || r.stderr().contains(Azurite.ACCOUNT_KEY)
          || r.stderr().contains("AccountKey"), r.toString());
    }
  }

  /** Runs {@code args} with the store options, expecting success. */
  private static CliFixture.Result run(CliFixture cli, List<CliFixture.Result> runs, byte[] in,
      String[] store, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(store));
    CliFixture.Result r = cli.runWithInput(in, all.toArray(String[]::new));
    runs.add(r);
    assertEquals(0, r.exitCode(), r.toString());
    return r;
  }
}
