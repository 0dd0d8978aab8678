package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.core.fleet.FleetStateUnavailableException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's own behaviour on embedded H2: names, schema, precision, failures. */
class JdbcFleetStateStoreTest {
  private static final String KEY = "https://unit.vault.azure.net/keys/fhir-cmk";
  private static final Instant NOW = Instant.parse("2026-12-07T10:16:01.123456789Z");

  private static void sql(DataSource db, String statement) throws SQLException {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  @Test
  void table_notAnIdentifier_isRefused() {
    for (String bad : new String[] {"", "1abc", "a-b", "fleet; DROP TABLE x", "\"quoted\"",
        "a.b.c", "x".repeat(64), "fleet state"}) {
      assertThrows(IllegalArgumentException.class,
          () -> JdbcFleetStateStore.builder().table(bad), bad);
    }
    for (String good : new String[] {"app.fleet_1", "_x", "x".repeat(63), "CMK_FLEET"}) {
      JdbcFleetStateStore.builder().table(good);
    }
  }

  @Test
  void builder_settingsTwiceOrMissing_areRefused() {
    DataSource db = TestDatabases.h2("builder");
    assertThrows(IllegalStateException.class,
        () -> JdbcFleetStateStore.builder().dataSource(db).dataSource(db));
    assertThrows(IllegalStateException.class,
        () -> JdbcFleetStateStore.builder().table("a").table("b"));
    assertThrows(IllegalStateException.class,
        () -> JdbcFleetStateStore.builder().createTable(true).createTable(false));
    assertThrows(IllegalStateException.class,
        () -> JdbcFleetStateStore.builder().checkAtFirstUse().checkAtFirstUse());
    assertThrows(IllegalStateException.class, () -> JdbcFleetStateStore.builder().build());
    assertThrows(NullPointerException.class, () -> JdbcFleetStateStore.builder().dataSource(null));
  }

  @Test
  void build_missingTable_createsItAndASecondBuildAcceptsIt() throws SQLException {
    DataSource db = TestDatabases.h2("create");
    sql(db, "CREATE SCHEMA app");
    JdbcFleetStateStore first = JdbcFleetStateStore.builder().dataSource(db)
        .table("app.fleet").build();
    first.replace(KEY, null, FleetKeyState.available(4, NOW, "a")).orElseThrow();
    JdbcFleetStateStore second = JdbcFleetStateStore.builder().dataSource(db)
        .table("APP.FLEET").createTable(false).build();
    assertEquals(4, second.read(KEY).orElseThrow().state().generation());
    assertEquals("JdbcFleetStateStore[table=app.fleet]", first.toString());
  }

  @Test
  void build_createTableOffAndMissing_failsNamingTheTable() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> JdbcFleetStateStore.builder().dataSource(TestDatabases.h2("absent"))
            .table("no_such_table").createTable(false).build());
    assertTrue(e.getMessage().contains("no_such_table does not exist"), e.getMessage());
  }

  @Test
  void build_tableOfTheWrongShape_failsClearly() throws SQLException {
    DataSource db = TestDatabases.h2("shape");
    sql(db, "CREATE TABLE missing_column (key_id VARCHAR(1024) PRIMARY KEY, revision BIGINT)");
    sql(db, "CREATE TABLE short_key (key_id VARCHAR(100) NOT NULL PRIMARY KEY,"
        + " revision BIGINT NOT NULL, state VARCHAR(32) NOT NULL, generation BIGINT NOT NULL,"
        + " lost_since TIMESTAMP(6) WITH TIME ZONE, cause VARCHAR(64) NOT NULL,"
        + " recorded_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, recorded_by VARCHAR(128) NOT NULL)");
    sql(db, "CREATE TABLE no_key (key_id VARCHAR(1024) NOT NULL,"
        + " revision BIGINT NOT NULL, state VARCHAR(32) NOT NULL, generation BIGINT NOT NULL,"
        + " lost_since TIMESTAMP(6) WITH TIME ZONE, cause VARCHAR(64) NOT NULL,"
        + " recorded_at TIMESTAMP(6) WITH TIME ZONE NOT NULL, recorded_by VARCHAR(128) NOT NULL)");
    sql(db, "CREATE TABLE local_time (key_id VARCHAR(1024) NOT NULL PRIMARY KEY,"
        + " revision BIGINT NOT NULL, state VARCHAR(32) NOT NULL, generation BIGINT NOT NULL,"
        + " lost_since TIMESTAMP(6), cause VARCHAR(64) NOT NULL,"
        + " recorded_at TIMESTAMP(6) NOT NULL, recorded_by VARCHAR(128) NOT NULL)");
    for (String[] t : new String[][] {{"missing_column", "expected columns"},
        {"short_key", "key_id must hold 1024"}, {"no_key", "primary key"},
        {"local_time", "lost_since=timestamp,"}}) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> JdbcFleetStateStore.builder().dataSource(db).table(t[0]).build(), t[0]);
      assertTrue(e.getMessage().contains("fleet-state table " + t[0] + " has the wrong shape"),
          e.getMessage());
      assertTrue(e.getMessage().contains(t[1]), e.getMessage());
    }
  }

  @Test
  void build_h2FileWithDelayedWrite_isRefusedAndWriteDelayZeroAccepted(@TempDir Path dir) {
    String url = "jdbc:h2:file:" + dir.resolve("fleet");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> JdbcFleetStateStore.builder().dataSource(TestDatabases.dataSource(url, "sa", ""))
            .build());
    assertTrue(e.getMessage().contains("add ;WRITE_DELAY=0"), e.getMessage());
    JdbcFleetStateStore store = JdbcFleetStateStore.builder()
        .dataSource(TestDatabases.dataSource(url + ";WRITE_DELAY=0", "sa", "")).build();
    store.replace(KEY, null, FleetKeyState.available(0, NOW, "a")).orElseThrow();
  }

  @Test
  void replace_nanosecondInstants_areKeptToMicroseconds() {
    JdbcFleetStateStore store =
        JdbcFleetStateStore.builder().dataSource(TestDatabases.h2("micros")).build();
    FleetKeyState s = FleetKeyState.unavailable(1, NOW.minusNanos(1), LossCause.KEY_DISABLED, NOW,
        "a");
    FleetRecord written = store.replace(KEY, null, s).orElseThrow();
    assertEquals(Instant.parse("2026-12-07T10:16:01.123456Z"), written.state().recordedAt());
    assertEquals(Instant.parse("2026-12-07T10:16:01.123456Z"),
        written.state().lostSince());
    assertEquals(written, store.read(KEY).orElseThrow());
  }

  @Test
  void replace_revisionTheTableNeverGave_isEmpty() {
    JdbcFleetStateStore store =
        JdbcFleetStateStore.builder().dataSource(TestDatabases.h2("revisions")).build();
    FleetKeyState s = FleetKeyState.available(0, NOW, "a");
    store.replace(KEY, null, s).orElseThrow();
    for (String bad : new String[] {"abc", "0", "-1", "2"}) {
      assertEquals(Optional.empty(), store.replace(KEY, bad, s), bad);
    }
    assertEquals("1", store.read(KEY).orElseThrow().revision());
  }

  @Test
  void read_rowThisVersionDoesNotKnow_isUnavailable() throws SQLException {
    DataSource db = TestDatabases.h2("unknown");
    JdbcFleetStateStore store = JdbcFleetStateStore.builder().dataSource(db).build();
    store.replace(KEY, null, FleetKeyState.available(0, NOW, "a")).orElseThrow();
    sql(db, "UPDATE cmk_fleet_state SET state = 'SOMETHING_NEW'");
    FleetStateUnavailableException e =
        assertThrows(FleetStateUnavailableException.class, () -> store.read(KEY));
    assertTrue(e.getMessage().contains("not one this version understands"), e.getMessage());
  }

  @Test
  void checkAtFirstUse_databaseDownAtBuild_storeAnswersOnceItIsUp() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    DataSource db = TestDatabases.dataSource(
        "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:later;DB_CLOSE_DELAY=-1", "sa", "");
    assertThrows(FleetStateUnavailableException.class,
        () -> JdbcFleetStateStore.builder().dataSource(db).build());
    JdbcFleetStateStore store =
        JdbcFleetStateStore.builder().dataSource(db).checkAtFirstUse().build();
    FleetStateUnavailableException down =
        assertThrows(FleetStateUnavailableException.class, () -> store.read(KEY));
    assertTrue(down.getMessage().startsWith("checking the fleet-state table cmk_fleet_state"),
        down.getMessage());
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists")
        .start();
    try {
      assertEquals(Optional.empty(), store.read(KEY));
      store.replace(KEY, null, FleetKeyState.available(0, NOW, "a")).orElseThrow();
      assertEquals("1", store.read(KEY).orElseThrow().revision());
    } finally {
      server.stop();
    }
  }

  @Test
  void checkAtFirstUse_tableOfTheWrongShape_isUnavailableWithTheReason() throws SQLException {
    DataSource db = TestDatabases.h2("lazyshape");
    sql(db, "CREATE TABLE cmk_fleet_state (key_id VARCHAR(1024) PRIMARY KEY)");
    JdbcFleetStateStore store =
        JdbcFleetStateStore.builder().dataSource(db).checkAtFirstUse().build();
    FleetStateUnavailableException e = assertThrows(FleetStateUnavailableException.class,
        () -> store.replace(KEY, null, FleetKeyState.available(0, NOW, "a")));
    assertTrue(e.getMessage().contains("has the wrong shape"), e.getMessage());
  }

  @Test
  void store_h2ServerStopped_isUnavailableWithoutSecrets() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists")
        .start();
    String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:down;DB_CLOSE_DELAY=-1";
    DataSource db = TestDatabases.dataSource(url, "fleet_owner", "Secret-Pw-123");
    JdbcFleetStateStore store;
    try {
      store = JdbcFleetStateStore.builder().dataSource(db).build();
      store.replace(KEY, null, FleetKeyState.available(0, NOW, "a")).orElseThrow();
    } finally {
      server.stop();
    }
    FleetStateUnavailableException read =
        assertThrows(FleetStateUnavailableException.class, () -> store.read(KEY));
    FleetStateUnavailableException write = assertThrows(FleetStateUnavailableException.class,
        () -> store.replace(KEY, "1", FleetKeyState.available(1, NOW, "a")));
    FleetStateUnavailableException build = assertThrows(FleetStateUnavailableException.class,
        () -> JdbcFleetStateStore.builder().dataSource(db).build());
    for (FleetStateUnavailableException e : new FleetStateUnavailableException[] {read, write,
        build}) {
      assertFalse(e.getMessage().contains("Secret-Pw-123"), e.getMessage());
      assertFalse(e.getMessage().contains("fleet_owner"), e.getMessage());
      assertFalse(e.getMessage().contains(Integer.toString(port)), e.getMessage());
      assertFalse(e.getMessage().contains("jdbc:"), e.getMessage());
      assertTrue(e.getMessage().contains("cmk_fleet_state"), e.getMessage());
      assertTrue(e.getCause() instanceof SQLException, String.valueOf(e.getCause()));
    }
    assertTrue(read.getMessage().startsWith("reading the fleet state of key " + KEY),
        read.getMessage());
  }
}
