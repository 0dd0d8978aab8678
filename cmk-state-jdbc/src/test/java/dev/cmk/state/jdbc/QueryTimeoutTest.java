package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.fleet.FleetKeyState;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Every read and write is bounded: the guard calls the store under its lock, so a hung database
 * must fail the call instead of holding requests.
 */
class QueryTimeoutTest {

  /** Records the query timeout set on every prepared statement the store makes. */
  private static final class RecordingDataSource {
    final List<Integer> timeouts = new CopyOnWriteArrayList<>();
    final List<Integer> prepared = new CopyOnWriteArrayList<>();
    final DataSource proxy;

    RecordingDataSource(DataSource delegate) {
      proxy = proxy(DataSource.class, delegate, (m, out) -> m.getName().equals("getConnection")
          ? proxy(Connection.class, (Connection) out, (cm, ps) -> {
            if (!cm.getName().equals("prepareStatement")) {
              return ps;
            }
            prepared.add(1);
            return proxy(PreparedStatement.class, (PreparedStatement) ps, (pm, r) -> r,
                (pm, args) -> {
                  if (pm.getName().equals("setQueryTimeout")) {
                    timeouts.add((Integer) args[0]);
                  }
                });
          }, (cm, args) -> { })
          : out, (m, args) -> { });
    }

    /** A proxy of {@code target} that sees each call's arguments and may replace its result. */
    private static <T> T proxy(Class<T> type, T target,
        java.util.function.BiFunction<Method, Object, Object> result,
        java.util.function.BiConsumer<Method, Object[]> before) {
      return type.cast(Proxy.newProxyInstance(QueryTimeoutTest.class.getClassLoader(),
          new Class<?>[] {type}, (p, m, args) -> {
            before.accept(m, args);
            try {
              return result.apply(m, m.invoke(target, args));
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }));
    }
  }

  @Test
  void readAndReplace_everyStatementBoundedByTheDefaultTimeout() {
    RecordingDataSource db = new RecordingDataSource(TestDatabases.h2("timeout-default"));
    JdbcFleetStateStore store = JdbcFleetStateStore.builder().dataSource(db.proxy).build();
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
    JdbcFleetStateStore store = JdbcFleetStateStore.builder().dataSource(db.proxy)
        .queryTimeout(Duration.ofSeconds(3)).build();
    store.read("https://t.vault.azure.net/keys/k");
    assertEquals(List.of(3), db.timeouts);
    assertThrows(IllegalArgumentException.class,
        () -> JdbcFleetStateStore.builder().queryTimeout(Duration.ofMillis(500)));
    assertThrows(IllegalStateException.class, () -> JdbcFleetStateStore.builder()
        .queryTimeout(Duration.ofSeconds(2)).queryTimeout(Duration.ofSeconds(2)));
  }
}
