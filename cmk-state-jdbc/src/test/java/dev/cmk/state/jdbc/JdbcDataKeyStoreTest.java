package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.datakey.DataKeyId;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.StoredDataKey;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link JdbcDataKeyStore} on embedded H2: table shape, names, malformed rows, bounds. */
class JdbcDataKeyStoreTest {
  private static final Instant T0 = Instant.parse("2026-12-07T10:15:30.123Z");
  private static final KeyReference V1 =
      KeyReference.parse("https://unit.vault.azure.net/keys/k/" + "1".repeat(32));

  /** The DDL the README gives for operators who create the table themselves. */
  static final String README_DDL = """
      CREATE TABLE IF NOT EXISTS cmk_data_keys (
        id            VARCHAR(64) NOT NULL PRIMARY KEY,
        provider_id   VARCHAR(32) NOT NULL,
        key_reference VARCHAR(1024) NOT NULL,
        created_at    TIMESTAMP(3) WITH TIME ZONE NOT NULL,
        revision      BIGINT NOT NULL,
        record        BYTEA NOT NULL);
      CREATE INDEX IF NOT EXISTS cmk_data_keys_by_primary
        ON cmk_data_keys (provider_id, key_reference, created_at);
      """;

  static DataKeyRecord record(int fill, Instant createdAt) {
    byte[] id = new byte[DataKeyId.LENGTH];
    Arrays.fill(id, (byte) fill);
    byte[] ct = new byte[256];
    Arrays.fill(ct, (byte) 7);
    return new DataKeyRecord(DataKeyId.of(id),
        List.of(new WrappedKey("azure-keyvault", V1, WrapAlgorithm.RSA_OAEP_256, ct)), createdAt,
        "unit", 1);
  }

  private static void sql(DataSource db, String... statements) throws SQLException {
    try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  @Test
  void build_readmeDdlWithoutCreate_isAccepted_andMissingTableIsRefused() throws Exception {
    DataSource db = TestDatabases.h2("dk-readme");
    IllegalStateException missing = assertThrows(IllegalStateException.class,
        () -> JdbcDataKeyStore.builder().dataSource(db).createTable(false).build());
    assertTrue(missing.getMessage().contains("data-key table cmk_data_keys does not exist"),
        missing.getMessage());
    sql(db, README_DDL.split(";\n"));
    JdbcDataKeyStore store = JdbcDataKeyStore.builder().dataSource(db).createTable(false).build();
    DataKeyRecord r = record(1, T0);
    store.create(r).orElseThrow();
    assertEquals(r, store.newestWritable("azure-keyvault", V1, T0).orElseThrow().record());
  }

  @Test
  void build_wrongShapeOrNoIndex_isRefusedNamingWhatIsWrong() throws Exception {
    DataSource db = TestDatabases.h2("dk-shapes");
    String columns = "(id VARCHAR(64) NOT NULL PRIMARY KEY, provider_id VARCHAR(32) NOT NULL,"
        + " key_reference VARCHAR(1024) NOT NULL, created_at TIMESTAMP(3) WITH TIME ZONE NOT NULL,"
        + " revision BIGINT NOT NULL, record BYTEA NOT NULL)";
    sql(db, "CREATE TABLE no_index " + columns,
        "CREATE TABLE short_ref " + columns.replace("VARCHAR(1024)", "VARCHAR(200)"),
        "CREATE TABLE text_record " + columns.replace("record BYTEA", "record VARCHAR(100)"),
        "CREATE TABLE no_key " + columns.replace(" PRIMARY KEY", ""),
        "CREATE INDEX no_key_by_primary ON no_key (provider_id, key_reference, created_at)",
        "CREATE INDEX short_ref_i ON short_ref (provider_id, key_reference, created_at)");
    for (String[] t : new String[][] {{"no_index", "has no index on (provider_id,"},
        {"short_ref", "key_reference 1024"}, {"text_record", "record=text"},
        {"no_key", "id must be its primary key"}}) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> JdbcDataKeyStore.builder().dataSource(db).table(t[0]).createTable(false).build(),
          t[0]);
      assertTrue(e.getMessage().contains("data-key table " + t[0]), e.getMessage());
      assertTrue(e.getMessage().contains(t[1]), e.getMessage());
    }
  }

  @Test
  void table_namesAreCheckedBeforeAnySql() {
    for (String bad : new String[] {"", "1abc", "a-b", "t; DROP TABLE x", "\"quoted\"", "a.b.c",
        "x".repeat(53)}) {
      assertThrows(IllegalArgumentException.class,
          () -> JdbcDataKeyStore.builder().table(bad), bad);
    }
    JdbcDataKeyStore.builder().table("x".repeat(52));
    JdbcDataKeyStore.builder().table("s".repeat(63) + ".t");
    assertThrows(IllegalStateException.class,
        () -> JdbcDataKeyStore.builder().table("a").table("b"));
    assertThrows(IllegalStateException.class, () -> JdbcDataKeyStore.builder().build());
  }

  @Test
  void schemaQualifiedTable_isCreatedWithItsIndexAndUsed() throws Exception {
    DataSource db = TestDatabases.h2("dk-schema");
    sql(db, "CREATE SCHEMA IF NOT EXISTS cmk");
    JdbcDataKeyStore store = JdbcDataKeyStore.builder().dataSource(db).table("cmk.records")
        .build();
    DataKeyRecord r = record(2, T0);
    store.create(r).orElseThrow();
    assertEquals(List.of(r), store.page(null, 10).stream().map(StoredDataKey::record).toList());
    // A second instance validates the existing table and index.
    JdbcDataKeyStore.builder().dataSource(db).table("cmk.records").createTable(false).build();
  }

  @Test
  void build_h2FileWithDelayedWrite_isRefused(@TempDir Path dir) {
    String url = "jdbc:h2:file:" + dir.resolve("records");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> JdbcDataKeyStore.builder().dataSource(TestDatabases.dataSource(url, "sa", ""))
            .build());
    assertTrue(e.getMessage().contains("add ;WRITE_DELAY=0"), e.getMessage());
    JdbcDataKeyStore.builder()
        .dataSource(TestDatabases.dataSource(url + ";WRITE_DELAY=0", "sa", "")).build();
  }

  @Test
  void malformedOrMislabelledRow_isIllegalArgumentNotEmpty() throws Exception {
    DataSource db = TestDatabases.h2("dk-malformed");
    JdbcDataKeyStore store = JdbcDataKeyStore.builder().dataSource(db).build();
    DataKeyRecord a = record(3, T0);
    DataKeyRecord b = record(4, T0);
    store.create(a).orElseThrow();
    store.create(b).orElseThrow();
    sql(db, "UPDATE cmk_data_keys SET record = X'0102' WHERE id = '" + a.id() + "'",
        "UPDATE cmk_data_keys SET id = '" + "5".repeat(64) + "' WHERE id = '" + b.id() + "'");
    assertThrows(IllegalArgumentException.class, () -> store.read(a.id()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store.read(DataKeyId.parse("5".repeat(64))));
    assertTrue(e.getMessage().contains("holds the record of " + b.id()), e.getMessage());
  }

  @Test
  void replace_revisionThisTableNeverGave_isEmpty() {
    JdbcDataKeyStore store =
        JdbcDataKeyStore.builder().dataSource(TestDatabases.h2("dk-revisions")).build();
    DataKeyRecord r = record(6, T0);
    StoredDataKey created = store.create(r).orElseThrow();
    assertEquals("1", created.revision());
    assertEquals(Optional.empty(), store.replace("\"0x8D\"", r.withOneMoreWriterSlot()));
    assertEquals(Optional.empty(), store.replace("7", r.withOneMoreWriterSlot()));
    assertEquals(Optional.empty(), store.replace("1", record(8, T0)), "no such record");
    assertEquals("2", store.replace("1", r.withOneMoreWriterSlot()).orElseThrow().revision());
  }

  @Test
  void everyStatement_isBoundedByTheQueryTimeout() {
    List<Integer> timeouts = new CopyOnWriteArrayList<>();
    List<String> prepared = new CopyOnWriteArrayList<>();
    DataSource recording = recording(TestDatabases.h2("dk-timeouts"), prepared, timeouts);
    JdbcDataKeyStore store = JdbcDataKeyStore.builder().dataSource(recording)
        .queryTimeout(Duration.ofSeconds(3)).build();
    DataKeyRecord r = record(9, T0);
    StoredDataKey s = store.create(r).orElseThrow();
    store.read(r.id());
    store.replace(s.revision(), r.withOneMoreWriterSlot());
    store.newestWritable("azure-keyvault", V1, T0);
    store.page(null, 5);
    store.page(r.id(), 5);
    assertEquals(7, prepared.size(), prepared::toString); // replace reads, then updates
    assertEquals(List.of(3, 3, 3, 3, 3, 3, 3), timeouts);
    assertThrows(IllegalArgumentException.class,
        () -> JdbcDataKeyStore.builder().queryTimeout(Duration.ofMillis(999)));
  }

  /** {@code db}, recording every prepared statement's SQL and query timeout. */
  private static DataSource recording(DataSource db, List<String> prepared,
      List<Integer> timeouts) {
    return (DataSource) Proxy.newProxyInstance(JdbcDataKeyStoreTest.class.getClassLoader(),
        new Class<?>[] {DataSource.class}, (p, m, args) -> {
          Object out = invoke(db, m, args);
          if (!m.getName().equals("getConnection")) {
            return out;
          }
          Connection c = (Connection) out;
          return Proxy.newProxyInstance(JdbcDataKeyStoreTest.class.getClassLoader(),
              new Class<?>[] {Connection.class}, (cp, cm, cargs) -> {
                Object ps = invoke(c, cm, cargs);
                if (!cm.getName().equals("prepareStatement")) {
                  return ps;
                }
                prepared.add((String) cargs[0]);
                return Proxy.newProxyInstance(JdbcDataKeyStoreTest.class.getClassLoader(),
                    new Class<?>[] {PreparedStatement.class}, (pp, pm, pargs) -> {
                      if (pm.getName().equals("setQueryTimeout")) {
                        timeouts.add((Integer) pargs[0]);
                      }
                      return invoke(ps, pm, pargs);
                    });
              });
        });
  }

  private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
