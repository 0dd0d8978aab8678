package dev.cmk.examples.fhir.internal;

import dev.cmk.examples.fhir.internal.ResourceStore.VersionKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Runs a conditional create or update as one database transaction: take the resource type's
 * conditional lock, find the matches, write.
 *
 * <p><b>Guarantee:</b> conditional writes of one resource type are serialized by the database,
 * not by this JVM: the transaction first updates the type's row in {@code fhir_conditional_lock},
 * which blocks every other conditional write of that type, on any replica sharing the database,
 * until this one commits or rolls back; only then does it search (READ COMMITTED, so it sees
 * every earlier conditional write). Two conditional creates with the same criteria therefore
 * never both see zero matches. The lock is per type, not per criterion, because different
 * criteria ({@code identifier=v} and {@code identifier=s|v}) can match the same resource. Plain
 * writes do not take the lock: a plain create racing a conditional one can still make a second
 * match, which later conditional requests answer with 412.
 *
 * <p><b>Thread safety:</b> safe for concurrent use.
 */
public final class ConditionalOperations {
  /** The work done under the lock, given the matches (at most two are listed). */
  @FunctionalInterface
  public interface Body<R> {
    /**
     * @param tx the transaction's connection (for {@link ResourceStore#writeIn} and readIn)
     * @param matches the current, not deleted resources that match; at most two
     * @return the result
     * @throws SQLException if the database fails
     */
    R apply(Connection tx, List<VersionKey> matches) throws SQLException;
  }

  private final javax.sql.DataSource dataSource;

  /**
   * @param dataSource the database (schema made by {@link ResourceStore#createSchema()})
   */
  public ConditionalOperations(javax.sql.DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /**
   * Makes the lock rows of the served types (idempotent; safe when replicas start together).
   *
   * @param resourceTypes the types
   * @throws ResourceStore.StorageException if the database fails
   */
  public void createLockRows(Collection<String> resourceTypes) {
    for (String type : resourceTypes) {
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps = c.prepareStatement(
              "INSERT INTO fhir_conditional_lock (resource_type, acquisitions) VALUES (?, 0)")) {
        c.setAutoCommit(true);
        ps.setString(1, type);
        ps.executeUpdate();
      } catch (SQLException e) {
        if (!StoreSql.isDuplicateKey(e)) {
          throw new ResourceStore.StorageException("creating the conditional lock failed", e);
        }
      }
    }
  }

  /**
   * Runs {@code body} under the type's lock with the resources that match {@code condition}, and
   * commits.
   *
   * @param resourceType the type
   * @param condition the criteria
   * @param hasher the blind-index hasher (identifier criteria)
   * @param body the write
   * @param <R> the result
   * @return the body's result
   * @throws ResourceStore.StorageException if the database fails
   * @throws ResourceStore.VersionConflictException if a concurrent plain write took the id
   */
  public <R> R run(String resourceType, ConditionalUrl condition, BlindIndex.Hasher hasher,
      Body<R> body) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        lock(c, resourceType);
        R result = body.apply(c, matches(c, resourceType, condition, hasher));
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw ResourceStore.failure(e, resourceType, "(conditional)");
    }
  }

  private static void lock(Connection c, String resourceType) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE fhir_conditional_lock"
        + " SET acquisitions = acquisitions + 1 WHERE resource_type = ?")) {
      ps.setString(1, resourceType);
      if (ps.executeUpdate() != 1) {
        throw new IllegalStateException("no conditional lock row for " + resourceType);
      }
    }
  }

  /** The current, not deleted resources matching every criterion; at most two, by id. */
  static List<VersionKey> matches(Connection c, String resourceType, ConditionalUrl condition,
      BlindIndex.Hasher hasher) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT r.resource_id, r.current_version,"
        + " r.last_updated FROM fhir_resource r WHERE r.resource_type = ? AND r.deleted = FALSE");
    List<String> args = new ArrayList<>();
    args.add(resourceType);
    for (ConditionalUrl.Criterion criterion : condition.criteria()) {
      String marks = "?, ".repeat(criterion.alternatives().size() - 1) + "?";
      if (criterion.id()) {
        sql.append(" AND r.resource_id IN (").append(marks).append(')');
        criterion.alternatives().forEach(a -> args.add((String) a));
      } else {
        sql.append(" AND EXISTS (SELECT 1 FROM fhir_identifier_index i")
            .append(" WHERE i.resource_type = r.resource_type AND i.resource_id = r.resource_id")
            .append(" AND i.token IN (").append(marks).append("))");
        criterion.alternatives()
            .forEach(a -> args.add(((ConditionalUrl.Token) a).indexToken(hasher)));
      }
    }
    sql.append(" ORDER BY r.resource_id");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      ps.setMaxRows(2);
      for (int i = 0; i < args.size(); i++) {
        ps.setString(i + 1, args.get(i));
      }
      List<VersionKey> out = new ArrayList<>(2);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next() && out.size() < 2) {
          out.add(new VersionKey(resourceType, rs.getString(1), rs.getLong(2),
              StoreSql.instant(rs, 3), false));
        }
      }
      return out;
    }
  }
}
