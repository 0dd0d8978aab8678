package dev.cmk.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 2 through the tool on the real PostgreSQL server that {@code ./test.sh} starts and names
 * in {@code CMK_TEST_POSTGRES_URL} (with {@code _USER} and {@code _PASSWORD}); without it the test
 * skips, saying why, except with {@code CI=true}, where it fails. The password reaches the tool
 * only through {@code $CMK_DATA_KEY_STORE_PASSWORD}; each run uses a table of its own.
 */
class CmkRecordsPostgresIT {
  @TempDir Path dir;

  @Test
  void postgresStore_roundTripCensusRewrap_passwordNeverPrinted() throws SQLException {
    Map<String, String> env = System.getenv();
    String url = env.get("CMK_TEST_POSTGRES_URL");
    if (url == null || url.isBlank()) {
      String why = "CMK_TEST_POSTGRES_URL is not set: no PostgreSQL server to test on";
      if ("true".equalsIgnoreCase(env.get("CI"))) {
        fail(why + "; CI=true, so this is a failure, not a skip");
      }
      Assumptions.abort(why);
    }
    String password = env.getOrDefault("CMK_TEST_POSTGRES_PASSWORD", "");
    CliFixture cli = new CliFixture(dir);
    if (!password.isEmpty()) {
      cli.env.put("CMK_DATA_KEY_STORE_PASSWORD", password);
    }
    String table = "cmk_cli_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    List<String> store = new ArrayList<>(List.of("--data-key-store", url,
        "--data-key-store-table", table));
    String user = env.getOrDefault("CMK_TEST_POSTGRES_USER", "");
    if (!user.isEmpty()) {
      store.addAll(List.of("--data-key-store-user", user));
    }
    try {
      roundTripCensusRewrap(cli, store, password);
    } finally {
      try (Connection c = DriverManager.getConnection(url, user, password);
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + table); // the test's own table, named above
      }
    }
  }

  private static void roundTripCensusRewrap(CliFixture cli, List<String> store, String password) {
    String v1 = cli.createKey("kek", 2048);
    List<CliFixture.Result> runs = new ArrayList<>();

    CliFixture.Result first = run(cli, runs, new byte[] {1}, store, "encrypt", "-k", "kek");
    CliFixture.Result second = run(cli, runs, new byte[] {2}, store, "encrypt", "-k", "kek");
    String v2 = cli.run("keys", "rotate", "kek").out().strip();
    Map<String, Object> rewrap = Json.parse(run(cli, runs, new byte[0], store, "records",
        "rewrap", "-k", "kek", "--format", "json"));
    Map<String, Object> census = Json.parse(run(cli, runs, new byte[0], store, "records",
        "census", "--format", "json"));
    CliFixture.Result dec1 = run(cli, runs, first.stdout(), store, "decrypt");
    CliFixture.Result dec2 = run(cli, runs, second.stdout(), store, "decrypt");

    assertAll(
        () -> assertEquals(2L, Json.integer(rewrap.get("rewrapped"))),
        () -> assertEquals(2L, Json.integer(census.get("records"))),
        () -> assertEquals(2, Json.array(census.get("versions")).size()),
        () -> assertEquals(v2, Json.string(Json.object(Json.array(census.get("versions")).get(0))
            .get("key"))),
        () -> assertEquals(0L, Json.array(census.get("versions")).stream().map(Json::object)
            .filter(v -> Json.string(v.get("key")).equals(v1))
            .mapToLong(v -> Json.integer(v.get("onlyWrapping"))).sum()),
        () -> assertArrayEquals(new byte[] {1}, dec1.stdout()),
        () -> assertArrayEquals(new byte[] {2}, dec2.stdout()));
    if (!password.isEmpty()) {
      for (CliFixture.Result r : runs) {
        assertFalse(r.out().contains(password) || r.stderr().contains(password), r.toString());
      }
    }
  }

  private static CliFixture.Result run(CliFixture cli, List<CliFixture.Result> runs, byte[] in,
      List<String> store, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(store);
    CliFixture.Result r = cli.runWithInput(in, all.toArray(String[]::new));
    runs.add(r);
    assertEquals(0, r.exitCode(), r.toString());
    return r;
  }
}
