package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStoreUnavailableException;
import dev.cmk.core.datakey.StoredDataKey;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A database that stops answering: every call throws {@link DataKeyStoreUnavailableException}
 * (never "empty", never "written"), naming the operation and SQLState but not the URL. On an H2
 * server reached over TCP, which the test stops (PostgreSQL: {@code
 * JdbcDataKeyStorePostgresDownIT}).
 */
class JdbcDataKeyStoreDownTest {
  private static final Instant T0 = Instant.parse("2026-12-07T10:15:30.123Z");

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** An in-memory database of its own (databases live as long as this JVM, across servers). */
  private static String url(int port) {
    return "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:data-keys-down-" + port
        + ";DB_CLOSE_DELAY=-1";
  }

  private static void assertUnavailable(Executable call, String operation, int port) {
    DataKeyStoreUnavailableException e =
        assertThrows(DataKeyStoreUnavailableException.class, call, operation);
    assertTrue(e.getMessage().startsWith(operation), e.getMessage());
    assertTrue(e.getMessage().contains("(SQLState "), e.getMessage());
    assertFalse(e.getMessage().contains("jdbc:"), e.getMessage());
    assertFalse(e.getMessage().contains(Integer.toString(port)), e.getMessage());
    assertTrue(e.getCause() instanceof SQLException, String.valueOf(e.getCause()));
  }

  @Test
  void databaseStopped_everyCallIsUnavailable() throws Exception {
    int port = freePort();
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists")
        .start();
    JdbcDataKeyStore store;
    DataKeyRecord r = JdbcDataKeyStoreTest.record(1, T0);
    StoredDataKey created;
    try {
      store = JdbcDataKeyStore.builder()
          .dataSource(TestDatabases.dataSource(url(port), "sa", "")).build();
      created = store.create(r).orElseThrow();
    } finally {
      server.stop();
    }
    String in = " in table cmk_data_keys";
    assertUnavailable(() -> store.read(r.id()), "reading data-key record " + r.id() + in, port);
    assertUnavailable(() -> store.create(JdbcDataKeyStoreTest.record(2, T0)),
        "creating data-key record", port);
    assertUnavailable(() -> store.replace(created.revision(), r.withOneMoreWriterSlot()),
        "replacing data-key record " + r.id() + in, port);
    assertUnavailable(() -> store.newestWritable("azure-keyvault", r.primary().keyReference(),
        T0), "finding the newest data-key record under", port);
    assertUnavailable(() -> store.page(null, 10), "listing the data-key records", port);
  }

  @Test
  void checkAtFirstUse_databaseNotUpYet_callsAreUnavailableUntilItIs() throws Exception {
    int port = freePort();
    JdbcDataKeyStore store = JdbcDataKeyStore.builder()
        .dataSource(TestDatabases.dataSource(url(port), "sa", "")).checkAtFirstUse().build();
    DataKeyRecord r = JdbcDataKeyStoreTest.record(3, T0);
    assertUnavailable(() -> store.read(r.id()), "checking the data-key table cmk_data_keys",
        port);
    assertUnavailable(() -> store.create(r), "checking the data-key table cmk_data_keys", port);
    Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-ifNotExists")
        .start();
    try {
      assertEquals(Optional.empty(), store.read(r.id()));
      store.create(r).orElseThrow();
      assertEquals(List.of(r), store.page(null, 10).stream().map(StoredDataKey::record).toList());
    } finally {
      server.stop();
    }
  }
}
