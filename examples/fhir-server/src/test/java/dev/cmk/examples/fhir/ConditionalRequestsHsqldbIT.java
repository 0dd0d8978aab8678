package dev.cmk.examples.fhir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.io.TempDir;

/** {@link ConditionalRequestsContract} on the embedded default, an HSQLDB file database. */
class ConditionalRequestsHsqldbIT extends ConditionalRequestsContract {
  @TempDir Path dir;

  private String url() {
    return "jdbc:hsqldb:file:" + dir.resolve("fhir");
  }

  @Override
  String freshDatabase() {
    return url();
  }

  @Override
  Connection connect() throws SQLException {
    return open(url(), "SA", "");
  }
}
