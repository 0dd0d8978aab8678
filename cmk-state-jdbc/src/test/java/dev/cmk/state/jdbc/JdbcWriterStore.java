package dev.cmk.state.jdbc;

import dev.cmk.core.datakey.DataKeyStore;
import dev.cmk.core.datakey.SharingWriterProcess;
import java.util.List;

/**
 * Opens the {@link JdbcDataKeyStore} of a {@link SharingWriterProcess} writer in {@link
 * DataKeyWritersProcessIT}: arguments JDBC URL, user and table; the password comes from {@value
 * #PASSWORD}, off the command line.
 */
public final class JdbcWriterStore implements SharingWriterProcess.StoreFactory {
  /** The environment variable that carries the database password to the writers. */
  static final String PASSWORD = "WRITER_PASSWORD";

  /** Called by the writer process, by reflection. */
  public JdbcWriterStore() {}

  @Override
  public DataKeyStore open(List<String> args) {
    return JdbcDataKeyStore.builder()
        .dataSource(TestDatabases.dataSource(args.get(0), args.get(1),
            System.getenv().getOrDefault(PASSWORD, "")))
        .table(args.get(2)).build();
  }
}
