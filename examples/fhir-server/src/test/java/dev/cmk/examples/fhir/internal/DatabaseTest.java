package dev.cmk.examples.fhir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the example opens its databases: durable settings, refused URLs, no URL in messages. */
class DatabaseTest {
  @TempDir Path dir;

  private static String query(Database db, String sql) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getString(1);
    }
  }

  @Test
  void open_hsqldbFile_syncsEveryCommitAndKeepsDataAcrossReopen() throws SQLException {
    String url = "jdbc:hsqldb:file:" + dir.resolve("db");
    try (Database db = Database.open(url, "resource database")) {
      assertEquals("hsqldb", db.kind());
      assertEquals("0", query(db, "SELECT PROPERTY_VALUE FROM INFORMATION_SCHEMA.SYSTEM_PROPERTIES"
          + " WHERE PROPERTY_NAME = 'hsqldb.write_delay_millis'"));
      try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (v INT)");
        s.execute("INSERT INTO t VALUES (42)");
      }
    }
    try (Database db = Database.open(url, "resource database")) {
      assertEquals("42", query(db, "SELECT v FROM t"));
    }
  }

  @Test
  void open_h2File_writesEveryCommit() throws SQLException {
    try (Database db = Database.open("jdbc:h2:file:" + dir.resolve("h2"), "resource database")) {
      assertEquals("0", query(db, "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
          + " WHERE SETTING_NAME = 'WRITE_DELAY'"));
    }
  }

  @Test
  void durableH2_delayAsked_isRefused() {
    assertEquals("jdbc:h2:file:x;WRITE_DELAY=0;LOCK_TIMEOUT=10000",
        Database.durableH2("jdbc:h2:file:x", "db"));
    assertEquals("jdbc:h2:file:x;write_delay=0;AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000",
        Database.durableH2("jdbc:h2:file:x;write_delay=0;AUTO_SERVER=TRUE", "db"));
    assertEquals("jdbc:h2:file:x;LOCK_TIMEOUT=50;WRITE_DELAY=0",
        Database.durableH2("jdbc:h2:file:x;LOCK_TIMEOUT=50", "db"), "a timeout given is kept");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Database.durableH2("jdbc:h2:file:x;WRITE_DELAY=500", "resource database"));
    assertTrue(e.getMessage().startsWith("resource database: H2 with WRITE_DELAY=500"),
        e.getMessage());
  }

  @Test
  void open_otherKindOfUrl_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Database.open("jdbc:mysql://db/fhir?password=Secret-Pw", "resource database"));
    assertFalse(e.getMessage().contains("Secret-Pw"), e.getMessage());
  }

  @Test
  void open_postgresNotListening_failsWithoutTheUrl() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/fhir?user=fhir&password=Secret-Pw"
        + "&connectTimeout=5";
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Database.open(url, "key-state store"));
    assertTrue(e.getMessage().startsWith("key-state store: cannot open the postgresql database"),
        e.getMessage());
    assertFalse(e.getMessage().contains("Secret-Pw"), e.getMessage());
    assertFalse(e.getMessage().contains(Integer.toString(port)), e.getMessage());
  }

  @Test
  void keyStateStore_memoryAndH2_describeThemselvesWithoutTheUrl() {
    try (KeyStateStore memory = KeyStateStore.open("memory")) {
      assertEquals("memory (this process only)", memory.description());
    }
    try (KeyStateStore h2 = KeyStateStore.open("jdbc:h2:file:" + dir.resolve("fleet"))) {
      assertEquals("jdbc (h2, table cmk_fleet_state)", h2.description());
    }
  }
}
