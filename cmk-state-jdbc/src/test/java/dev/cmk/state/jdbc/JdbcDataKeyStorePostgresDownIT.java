package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL that cannot be reached or refuses the credentials: {@link
 * DataKeyStoreUnavailableException}, with neither the connection string nor the credentials in the
 * message — at build, and at the first call with {@code checkAtFirstUse()}.
 */
class JdbcDataKeyStorePostgresDownIT {
  private static final String PASSWORD = "Secret-Pw-789";

  private static void assertNoSecrets(DataKeyStoreUnavailableException e, String... secrets) {
    for (String s : secrets) {
      assertFalse(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }
    assertFalse(e.getMessage().contains("jdbc:"), e.getMessage());
    assertTrue(e.getMessage().startsWith("checking the data-key table cmk_data_keys failed"),
        e.getMessage());
    assertTrue(e.getCause() instanceof SQLException, String.valueOf(e.getCause()));
  }

  @Test
  void serverNotListening_isUnavailableWithoutSecrets_atBuildAndAtFirstUse() throws Exception {
    TestDatabases.postgres(); // the same conditions as the other PostgreSQL tests
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/cmk_test?password=" + PASSWORD;
    DataSource down = TestDatabases.dataSource(url, "record_owner", PASSWORD);
    DataKeyStoreUnavailableException e = assertThrows(DataKeyStoreUnavailableException.class,
        () -> JdbcDataKeyStore.builder().dataSource(down).build());
    assertNoSecrets(e, PASSWORD, "record_owner", Integer.toString(port));
    assertTrue(e.getMessage().contains("SQLState 08"), e.getMessage());
    JdbcDataKeyStore later = JdbcDataKeyStore.builder().dataSource(down).checkAtFirstUse().build();
    e = assertThrows(DataKeyStoreUnavailableException.class,
        () -> later.read(DataKeyId.parse("0".repeat(64))));
    assertNoSecrets(e, PASSWORD, "record_owner", Integer.toString(port));
  }

  @Test
  void wrongPassword_isUnavailableWithoutSecrets() {
    TestDatabases.postgres();
    String url = System.getenv(TestDatabases.POSTGRES_URL);
    String user = System.getenv().getOrDefault("CMK_TEST_POSTGRES_USER", "");
    DataSource wrong = TestDatabases.dataSource(url, user, PASSWORD);
    DataKeyStoreUnavailableException e = assertThrows(DataKeyStoreUnavailableException.class,
        () -> JdbcDataKeyStore.builder().dataSource(wrong).build());
    String host = URI.create(url.substring("jdbc:".length())).getHost();
    assertNoSecrets(e, PASSWORD, user.isEmpty() ? PASSWORD : user, host);
  }
}
