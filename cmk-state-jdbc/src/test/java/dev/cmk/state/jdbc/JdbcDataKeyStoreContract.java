package dev.cmk.state.jdbc;

import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.DataKeyStoreContract;
import org.junit.jupiter.api.BeforeEach;

/**
 * The data-key store contract on JDBC with two instances: before each test, two stores, each
 * built by {@link #instance()} on the same database (as two processes would be).
 */
abstract class JdbcDataKeyStoreContract extends DataKeyStoreContract {
  private DataKeyStore a;
  private DataKeyStore b;

  /** A new store instance on the test's database. */
  abstract DataKeyStore instance();

  @BeforeEach
  void instances() {
    a = instance();
    b = instance();
  }

  @Override
  protected final DataKeyStore store() {
    return a;
  }

  @Override
  protected final DataKeyStore otherInstance() {
    return b;
  }
}
