package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import dev.cmk.api.spi.SecretSource;
import java.net.ServerSocket;
import java.util.Map;
import javax.sql.DataSource;
import org.h2.tools.Server;
import org.junit.jupiter.api.Assumptions;

/**
 * The databases the tests run on: embedded H2, and the real PostgreSQL server that {@code
 * ./test.sh} starts and names in {@code CMK_TEST_POSTGRES_URL} (with {@code _USER} and {@code
 * _PASSWORD}). Without that variable the PostgreSQL tests skip, saying why; with {@code CI=true}
 * they fail instead, so CI cannot pass without having run them.
 */
final class TestDatabases {
  static final String POSTGRES_URL = "CMK_TEST_POSTGRES_URL";

  private TestDatabases() {}

  /** An H2 in-memory database that lives until the JVM ends. */
  static DataSource h2(String name) {
    return dataSource("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", "sa", "");
  }

  /** The test PostgreSQL database; skips (or, on CI, fails) the test when none is configured. */
  static DataSource postgres() {
    Map<String, String> env = System.getenv();
    String url = env.get(POSTGRES_URL);
    if (url == null || url.isBlank()) {
      String why = POSTGRES_URL + " is not set: no PostgreSQL server to test on (./test.sh"
          + " starts one and sets it)";
      if ("true".equalsIgnoreCase(env.get("CI"))) {
        fail(why + "; CI=true, so this is a failure, not a skip");
      }
      Assumptions.abort(why);
    }
    return dataSource(url, env.getOrDefault("CMK_TEST_POSTGRES_USER", ""),
        env.getOrDefault("CMK_TEST_POSTGRES_PASSWORD", ""));
  }

  /**
   * A data source for a JDBC URL of PostgreSQL or H2: the driver, no pool (the store needs none,
   * and tests must not depend on a pool's retries).
   */
  static DataSource dataSource(String url, String user, String password) {
    if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:h2:")) {
      throw new IllegalArgumentException("not a PostgreSQL or H2 URL");
    }
    DriverManagerDataSource.Builder b = DriverManagerDataSource.builder().url(url).user(user)
        .property("connectTimeout", "5"); // PostgreSQL: seconds
    if (!password.isEmpty()) { // a secret source refuses an empty secret; H2's "sa" has none
      b.password(SecretSource.ofCallback(password::toCharArray));
    }
    return b.build();
  }

  /** A test that reaches its database by URL, as the child processes it starts must. */
  interface ByUrl {
    void run(String url, String user, String password) throws Exception;
  }

  /** Runs {@code test} on the test PostgreSQL database (skipped or failed as {@link #postgres}). */
  static void onPostgres(ByUrl test) throws Exception {
    postgres();
    Map<String, String> env = System.getenv();
    test.run(env.get(POSTGRES_URL), env.getOrDefault("CMK_TEST_POSTGRES_USER", ""),
        env.getOrDefault("CMK_TEST_POSTGRES_PASSWORD", ""));
  }

  /**
   * Runs {@code test} on the H2 in-memory database {@code name} behind an H2 TCP server on a free
   * loopback port (the embedded engine reached as separate processes must), stopped after.
   */
  static void onH2Server(String name, ByUrl test) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists")
        .start();
    try {
      test.run("jdbc:h2:tcp://127.0.0.1:" + port + "/mem:" + name + ";DB_CLOSE_DELAY=-1", "sa",
          "");
    } finally {
      server.stop();
    }
  }
}
