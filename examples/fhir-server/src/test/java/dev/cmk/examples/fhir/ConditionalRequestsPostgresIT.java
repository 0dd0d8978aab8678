package dev.cmk.examples.fhir;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * {@link ConditionalRequestsContract} on the PostgreSQL server of {@code ./test.sh} (skipped
 * without it, failing with {@code CI=true}): each test in a schema of its own, dropped after.
 */
class ConditionalRequestsPostgresIT extends ConditionalRequestsContract {
  private String base;
  private String schema;

  @Override
  String freshDatabase() throws SQLException {
    base = TestPostgres.url();
    schema = "cmk_conditional_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = open(base, null, null); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    }
    return base + "&currentSchema=" + schema;
  }

  @Override
  Connection connect() throws SQLException {
    return open(base + "&currentSchema=" + schema, null, null);
  }

  @Override
  void dropDatabase() throws SQLException {
    if (schema != null) {
      try (Connection c = open(base, null, null); Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }
}
