package dev.cmk.examples.fhir;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * A real database behind JDBC proxies that, while {@link #full} says so, fail every INSERT and
 * UPDATE the way a full disk makes the driver fail them. {@link Mode} picks the report:
 * PostgreSQL's {@code 53100 disk_full}, or an embedded engine's SQLException caused by the JVM's
 * {@code IOException: No space left on device} (ENOSPC, as HSQLDB and H2 wrap it). Reads pass.
 */
final class DiskFullDataSource {
  enum Mode { POSTGRES_53100, EMBEDDED_ENOSPC }

  private DiskFullDataSource() {}

  static DataSource wrap(DataSource real, Supplier<Mode> full) {
    return proxy(DataSource.class, real, (method, args, result) -> {
      if (result instanceof Connection) {
        return proxy(Connection.class, (Connection) result, (m2, a2, r2) -> {
          if (r2 instanceof PreparedStatement && m2.getName().equals("prepareStatement")) {
            String sql = ((String) a2[0]).trim().toUpperCase(Locale.ROOT);
            boolean write = sql.startsWith("INSERT") || sql.startsWith("UPDATE");
            return write ? failingWrites((PreparedStatement) r2, full) : r2;
          }
          return r2;
        });
      }
      return result;
    });
  }

  private static PreparedStatement failingWrites(PreparedStatement real, Supplier<Mode> full) {
    InvocationHandler h = (p, m, a) -> {
      Mode mode = full.get();
      if (mode != null && m.getName().startsWith("execute")) {
        throw diskFull(mode);
      }
      try {
        return m.invoke(real, a);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (PreparedStatement) Proxy.newProxyInstance(DiskFullDataSource.class.getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, h);
  }

  static SQLException diskFull(Mode mode) {
    if (mode == Mode.POSTGRES_53100) {
      // What PostgreSQL sends when it cannot extend a relation file.
      return new SQLException("ERROR: could not extend file \"base/16384/16385\": No space left"
          + " on device", "53100");
    }
    // HSQLDB/H2: the driver's own code, with the JVM's IOException as the cause.
    return new SQLException("Input/output error: file write failed", "S1000",
        new IOException("No space left on device"));
  }

  interface After {
    Object apply(java.lang.reflect.Method m, Object[] args, Object result) throws Throwable;
  }

  @SuppressWarnings("unchecked")
  private static <T> T proxy(Class<T> type, T real, After after) {
    return (T) Proxy.newProxyInstance(DiskFullDataSource.class.getClassLoader(),
        new Class<?>[] {type}, (p, m, a) -> {
          Object r;
          try {
            r = m.invoke(real, a);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          return after.apply(m, a, r);
        });
  }
}
