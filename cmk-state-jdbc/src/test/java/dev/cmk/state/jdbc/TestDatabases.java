package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import javax.sql.DataSource;
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
      if ("true".equals(env.get("CI"))) {
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
    return new DriverDataSource(url, user, password);
  }
}
