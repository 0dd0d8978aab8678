package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.spi.SecretSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The pool-less data source, on embedded H2: credentials per connection, nothing leaked. */
class DriverManagerDataSourceTest {
  private static final String URL = "jdbc:h2:mem:driver-manager;DB_CLOSE_DELAY=-1";

  @Test
  void getConnection_readsThePasswordForEachConnection_andPassesProperties() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    DriverManagerDataSource db = DriverManagerDataSource.builder().url(URL).user("owner")
        .password(SecretSource.ofCallback(() -> {
          reads.incrementAndGet();
          return "s3cret-pw".toCharArray();
        }))
        .property("MODE", "PostgreSQL")
        .build();
    for (int i = 1; i <= 2; i++) {
      try (Connection c = db.getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
              + " WHERE SETTING_NAME = 'MODE'")) {
        assertTrue(rs.next());
        assertEquals("PostgreSQL", rs.getString(1), "the property reached the driver");
      }
      assertEquals(i, reads.get(), "the password is read per connection, never kept");
    }
    DriverManagerDataSource wrong = DriverManagerDataSource.builder().url(URL).user("owner")
        .password(SecretSource.ofCallback("not-it"::toCharArray)).build();
    assertThrows(SQLException.class, wrong::getConnection, "the password is what H2 checks");
  }

  @Test
  void getConnection_unreadablePassword_failsAs28000_namingTheSourceOnly() {
    DriverManagerDataSource db = DriverManagerDataSource.builder().url(URL).user("owner")
        .password(SecretSource.ofEnvironment("CMK_NO_SUCH_PASSWORD_VARIABLE", name -> null)
            .named("database password"))
        .build();
    SQLException e = assertThrows(SQLException.class, db::getConnection);
    assertEquals("28000", e.getSQLState());
    assertTrue(e.getMessage().contains("CMK_NO_SUCH_PASSWORD_VARIABLE"), e.getMessage());
  }

  @Test
  void toString_namesNeitherUrlNorUser() {
    String text = DriverManagerDataSource.builder()
        .url("jdbc:postgresql://db.internal/app?password=in-the-url").user("the-user").build()
        .toString();
    assertFalse(text.contains("db.internal") || text.contains("in-the-url")
        || text.contains("the-user"), text);
  }

  @Test
  void builder_badOrRepeatedSettings_areRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> DriverManagerDataSource.builder().url("postgresql://db/app"));
    assertThrows(IllegalStateException.class,
        () -> DriverManagerDataSource.builder().url(URL).url(URL));
    assertThrows(IllegalStateException.class,
        () -> DriverManagerDataSource.builder().user("a").user("b"));
    SecretSource pw = SecretSource.ofCallback("x"::toCharArray);
    assertThrows(IllegalStateException.class,
        () -> DriverManagerDataSource.builder().password(pw).password(pw));
    assertThrows(IllegalStateException.class,
        () -> DriverManagerDataSource.builder().property("a", "1").property("a", "2"));
    for (String name : new String[] {"user", "password", "Password"}) {
      assertThrows(IllegalArgumentException.class,
          () -> DriverManagerDataSource.builder().property(name, "x"), name);
    }
    assertThrows(IllegalStateException.class, () -> DriverManagerDataSource.builder().build());
  }

  @Test
  void getConnectionWithCredentials_isNotSupported() {
    DriverManagerDataSource db = DriverManagerDataSource.builder().url(URL).build();
    assertThrows(SQLFeatureNotSupportedException.class, () -> db.getConnection("u", "p"));
  }

  @Test
  void wrapper_unwrapsOnlyToWhatItIs() throws SQLException {
    DriverManagerDataSource db = DriverManagerDataSource.builder().url(URL).build();
    assertTrue(db.isWrapperFor(DataSource.class));
    assertSame(db, db.unwrap(DataSource.class));
    assertSame(db, db.unwrap(DriverManagerDataSource.class));
    assertFalse(db.isWrapperFor(Connection.class));
    assertThrows(SQLException.class, () -> db.unwrap(Connection.class));
  }
}
