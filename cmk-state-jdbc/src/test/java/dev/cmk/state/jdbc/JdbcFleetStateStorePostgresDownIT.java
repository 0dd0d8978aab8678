package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.fleet.FleetStateUnavailableException;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL that cannot be reached or refuses the credentials: {@link
 * FleetStateUnavailableException}, with neither the connection string nor the credentials in the
 * message.
 */
class JdbcFleetStateStorePostgresDownIT {
  private static final String PASSWORD = "Secret-Pw-456";

  private static void assertNoSecrets(FleetStateUnavailableException e, String... secrets) {
    for (String s : secrets) {
      assertFalse(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }
    assertFalse(e.getMessage().contains("jdbc:"), e.getMessage());
    assertTrue(e.getMessage().startsWith("checking the fleet-state table cmk_fleet_state failed"),
        e.getMessage());
    assertTrue(e.getCause() instanceof SQLException, String.valueOf(e.getCause()));
  }

  @Test
  void build_serverNotListening_isUnavailableWithoutSecrets() throws Exception {
    TestDatabases.postgres(); // the same conditions as the other PostgreSQL tests
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/cmk_test?password=" + PASSWORD;
    DataSource down = TestDatabases.dataSource(url, "fleet_owner", PASSWORD);
    FleetStateUnavailableException e = assertThrows(FleetStateUnavailableException.class,
        () -> JdbcFleetStateStore.builder().dataSource(down).build());
    assertNoSecrets(e, PASSWORD, "fleet_owner", Integer.toString(port));
    assertTrue(e.getMessage().contains("SQLState 08"), e.getMessage());
  }

  @Test
  void build_wrongPassword_isUnavailableWithoutSecrets() {
    TestDatabases.postgres();
    String url = System.getenv(TestDatabases.POSTGRES_URL);
    String user = System.getenv().getOrDefault("CMK_TEST_POSTGRES_USER", "");
    DataSource wrong = TestDatabases.dataSource(url, user, PASSWORD);
    FleetStateUnavailableException e = assertThrows(FleetStateUnavailableException.class,
        () -> JdbcFleetStateStore.builder().dataSource(wrong).build());
    String host = URI.create(url.substring("jdbc:".length())).getHost();
    assertNoSecrets(e, PASSWORD, user.isEmpty() ? PASSWORD : user, host);
  }
}
