package dev.cmk.examples.fhir.internal;

import static dev.cmk.examples.fhir.internal.StoreSql.instant;
import static dev.cmk.examples.fhir.internal.StoreSql.timestamp;

import dev.cmk.examples.fhir.internal.ResourceStore.StorageException;
import dev.cmk.examples.fhir.internal.ResourceStore.VersionKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The queries of {@link ResourceStore} that read only the clear index columns (no decryption). */
final class IndexQueries {
  private IndexQueries() {}

  /** The current version's index columns, on the caller's connection. */
  static Optional<VersionKey> current(Connection c, String resourceType, String id)
      throws SQLException {
    String sql =
        "SELECT current_version, last_updated, deleted FROM fhir_resource"
            + " WHERE resource_type = ? AND resource_id = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, resourceType);
      ps.setString(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new VersionKey(resourceType, id, rs.getLong(1), instant(rs, 2), rs.getBoolean(3)));
      }
    }
  }

  static List<VersionKey> history(DataSource dataSource, String resourceType, String id) {
    String sql =
        "SELECT version_id, last_updated, deleted FROM fhir_resource_version"
            + " WHERE resource_type = ? AND resource_id = ? ORDER BY version_id DESC";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, resourceType);
      ps.setString(2, id);
      List<VersionKey> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new VersionKey(resourceType, id, rs.getLong(1), instant(rs, 2), rs.getBoolean(3)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StorageException("reading the history failed", e);
    }
  }

  static List<VersionKey> search(DataSource dataSource, String resourceType,
      Collection<String> ids, List<List<InstantRange>> lastUpdated, List<List<String>> tokens) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT resource_id, current_version, last_updated FROM fhir_resource"
                + " WHERE resource_type = ? AND deleted = FALSE");
    if (!ids.isEmpty()) {
      sql.append(" AND resource_id IN (").append("?, ".repeat(ids.size() - 1)).append("?)");
    }
    for (List<String> any : tokens) {
      sql.append(" AND EXISTS (SELECT 1 FROM fhir_identifier_index i")
          .append(" WHERE i.resource_type = fhir_resource.resource_type")
          .append(" AND i.resource_id = fhir_resource.resource_id AND i.token IN (")
          .append("?, ".repeat(any.size() - 1)).append("?))");
    }
    List<Instant> bounds = new ArrayList<>();
    for (List<InstantRange> union : lastUpdated) {
      StringBuilder any = new StringBuilder();
      for (InstantRange range : union) {
        any.append(any.length() == 0 ? "" : " OR ").append("(TRUE");
        if (range.from() != null) {
          any.append(" AND last_updated >= ?");
          bounds.add(range.from());
        }
        if (range.until() != null) {
          any.append(" AND last_updated < ?");
          bounds.add(range.until());
        }
        any.append(')');
      }
      sql.append(" AND (").append(any.length() == 0 ? "FALSE" : any).append(')');
    }
    sql.append(" ORDER BY last_updated, resource_id");
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = 1;
      ps.setString(i++, resourceType);
      for (String id : ids) {
        ps.setString(i++, id);
      }
      for (List<String> any : tokens) {
        for (String t : any) {
          ps.setString(i++, t);
        }
      }
      for (Instant bound : bounds) {
        ps.setObject(i++, timestamp(bound));
      }
      List<VersionKey> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new VersionKey(resourceType, rs.getString(1), rs.getLong(2), instant(rs, 3), false));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StorageException("searching failed", e);
    }
  }
}
