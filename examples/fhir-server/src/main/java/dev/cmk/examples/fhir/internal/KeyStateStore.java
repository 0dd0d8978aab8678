package dev.cmk.examples.fhir.internal;

import dev.cmk.core.fleet.FleetStateStore;
import dev.cmk.core.fleet.InMemoryFleetStateStore;
import dev.cmk.state.jdbc.JdbcFleetStateStore;
import java.util.Objects;

/**
 * Where the server keeps the fleet's loss-of-access state of its key ({@code --key-state}):
 * {@code memory} (the default: this process only, nothing to set up) or a JDBC URL of
 * PostgreSQL or H2, shared by every replica on that database ({@code cmk-state-jdbc}, table
 * {@code cmk_fleet_state}, created if missing).
 */
public final class KeyStateStore implements AutoCloseable {
  /** The default: in this process's memory. */
  public static final String MEMORY = "memory";

  private final FleetStateStore store;
  private final Database database;
  private final String description;

  private KeyStateStore(FleetStateStore store, Database database, String description) {
    this.store = store;
    this.database = database;
    this.description = description;
  }

  /**
   * Checks a {@code --key-state} value without opening anything.
   *
   * @param keyState {@code memory}, {@code jdbc:postgresql:...} or {@code jdbc:h2:...}
   * @return {@code keyState}
   * @throws IllegalArgumentException if it is none of these
   */
  public static String check(String keyState) {
    Objects.requireNonNull(keyState, "keyState");
    if (!keyState.equals(MEMORY) && !keyState.startsWith("jdbc:postgresql:")
        && !keyState.startsWith("jdbc:h2:")) {
      throw new IllegalArgumentException(
          "--key-state must be memory, jdbc:postgresql:... or jdbc:h2:...");
    }
    return keyState;
  }

  /**
   * Opens the store (for a database: connects, creates or checks the table).
   *
   * @param keyState as for {@link #check}
   * @return the store
   * @throws IllegalArgumentException if the value is invalid
   * @throws IllegalStateException if the database cannot be opened or has the wrong table
   * @throws dev.cmk.core.fleet.FleetStateUnavailableException if the database cannot be reached
   */
  public static KeyStateStore open(String keyState) {
    if (check(keyState).equals(MEMORY)) {
      return new KeyStateStore(new InMemoryFleetStateStore(), null, "memory (this process only)");
    }
    Database db = Database.open(keyState, "key-state store");
    try {
      JdbcFleetStateStore jdbc = JdbcFleetStateStore.builder().dataSource(db.dataSource()).build();
      return new KeyStateStore(jdbc, db, "jdbc (" + db.kind() + ", table " + jdbc.table() + ")");
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** {@return the store} */
  public FleetStateStore store() {
    return store;
  }

  /** {@return what the store is, for the status page: never the URL} */
  public String description() {
    return description;
  }

  @Override
  public void close() {
    if (database != null) {
      database.close();
    }
  }
}
