package dev.cmk.state.jdbc;

import dev.cmk.core.datakey.DataKeyStore;

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
}
