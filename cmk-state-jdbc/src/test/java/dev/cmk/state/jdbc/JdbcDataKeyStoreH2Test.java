package dev.cmk.state.jdbc;

import dev.cmk.core.datakey.DataKeyStore;
import javax.sql.DataSource;

/** The data-key store contract on embedded H2: two store instances on one database. */
class JdbcDataKeyStoreH2Test extends JdbcDataKeyStoreContract {
  private static final DataSource DB = TestDatabases.h2("data-key-contract");

  @Override
  DataKeyStore instance() {
    return JdbcDataKeyStore.builder().dataSource(DB).build();
  }
}
