package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.DataKeyStore;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The data-key store contract on a real PostgreSQL server (see {@link TestDatabases}): two store
 * instances with their own connections, as two processes.
 */
class JdbcDataKeyStorePostgresIT extends JdbcDataKeyStoreContract {

  @Override
  DataKeyStore instance() {
    return JdbcDataKeyStore.builder().dataSource(TestDatabases.postgres())
        .table("cmk_data_keys_contract").build();
  }

  @Test
  void create_instantBeyondTheColumnsRange_isIllegalArgumentNotUnavailable() {
    DataKeyStore store = instance();
    // PostgreSQL's timestamptz ends in the year 294276 (SQLState 22008 beyond it).
    DataKeyRecord far = JdbcDataKeyStoreTest.record(0x5a, Instant.parse("+300000-01-01T00:00:00Z"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> store.create(far));
    assertFalse(e.getMessage().contains("jdbc:"), e.getMessage());
    assertEquals(Optional.empty(), store.read(far.id()));
  }
}
