package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.fleet.FleetKeyState;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Every read and write is bounded: the guard calls the store under its lock, so a hung database
 * must fail the call instead of holding requests.
 */
class QueryTimeoutTest {

  /** Records the query timeout set on every prepared statement the store makes. */
  private static final class RecordingDataSource implements DataSource {
    final DataSource delegate;
    final List<Integer> timeouts = new CopyOnWriteArrayList<>();
    final List<Integer> prepared = new CopyOnWriteArrayList<>();

    RecordingDataSource(DataSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = delegate.getConnection();
      return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {Connection.class}, (proxy, m, args) -> {
            Object out = invoke(c, m, args);
            if (m.getName().equals("prepareStatement")) {
              prepared.add(1);
              PreparedStatement ps = (PreparedStatement) out;
              return Proxy.newProxyInstance(getClass().getClassLoader(),
                  new Class<?>[] {PreparedStatement.class}, (p2, m2, a2) -> {
                    if (m2.getName().equals("setQueryTimeout")) {
                      timeouts.add((Integer) a2[0]);
                    }
                    return invoke(ps, m2, a2);
                  });
            }
            return out;
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

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }

  @Test
  void readAndReplace_everyStatementBoundedByTheDefaultTimeout() {
    RecordingDataSource db = new RecordingDataSource(TestDatabases.h2("timeout-default"));
    JdbcFleetStateStore store = JdbcFleetStateStore.builder().dataSource(db).build();
    db.prepared.clear();
    db.timeouts.clear();
    String id = "https://t.vault.azure.net/keys/k";
    String revision = store.replace(id, null,
        FleetKeyState.available(0, Instant.EPOCH, "r")).orElseThrow().revision();
    store.read(id);
    store.replace(id, revision, FleetKeyState.available(1, Instant.EPOCH, "r"));
    assertFalse(db.prepared.isEmpty());
    assertEquals(db.prepared.size(), db.timeouts.size(), "every statement is bounded");
    assertTrue(db.timeouts.stream().allMatch(t -> t
        == JdbcFleetStateStore.DEFAULT_QUERY_TIMEOUT.toSeconds()), db.timeouts::toString);
  }

  @Test
  void queryTimeout_configured_isUsed_andSubSecondOrTwiceIsRefused() {
    RecordingDataSource db = new RecordingDataSource(TestDatabases.h2("timeout-set"));
    JdbcFleetStateStore store = JdbcFleetStateStore.builder().dataSource(db)
        .queryTimeout(Duration.ofSeconds(3)).build();
    store.read("https://t.vault.azure.net/keys/k");
    assertEquals(List.of(3), db.timeouts);
    assertThrows(IllegalArgumentException.class,
        () -> JdbcFleetStateStore.builder().queryTimeout(Duration.ofMillis(500)));
    assertThrows(IllegalStateException.class, () -> JdbcFleetStateStore.builder()
        .queryTimeout(Duration.ofSeconds(2)).queryTimeout(Duration.ofSeconds(2)));
  }
}
