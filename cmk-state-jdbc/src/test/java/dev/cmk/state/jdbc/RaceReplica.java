package dev.cmk.state.jdbc;

import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One replica of {@link FleetRaceIT}, in its own JVM: builds a store on the database named by
 * its arguments (password from {@code RACE_PASSWORD}), prints {@code READY}, then for each line
 * {@code GO <revision>} on standard input replaces that revision of the key with its own loss
 * and prints {@code WON <revision>} or {@code LOST}.
 */
public final class RaceReplica {
  private RaceReplica() {}

  /**
   * Runs the replica.
   *
   * @param args JDBC URL, user, table, key id, replica name
   * @throws Exception if anything fails (the parent sees the exit code and standard error)
   */
  public static void main(String[] args) throws Exception {
    JdbcFleetStateStore store = JdbcFleetStateStore.builder()
        .dataSource(TestDatabases.dataSource(args[0], args[1],
            System.getenv().getOrDefault("RACE_PASSWORD", "")))
        .table(args[2])
        .build();
    String key = args[3];
    String name = args[4];
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    System.out.println("READY");
    System.out.flush();
    String line;
    int round = 0;
    while ((line = in.readLine()) != null && line.startsWith("GO ")) {
      String revision = line.substring(3).trim();
      Instant lost = Instant.parse("2026-12-07T10:00:00Z").plusSeconds(round++);
      FleetKeyState mine =
          FleetKeyState.unavailable(0, lost, LossCause.KEY_DISABLED, lost, name);
      System.out.println(store.replace(key, revision, mine)
          .map(r -> "WON " + r.revision()).orElse("LOST"));
      System.out.flush();
    }
  }
}
