package dev.cmk.state.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import java.io.BufferedReader;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two replicas in two JVM processes replace the same revision at once, round after round: exactly
 * one wins each round, and the stored state is the winner's. On PostgreSQL, and on an H2 server
 * (the embedded engine reached over TCP, as separate processes must).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FleetRaceIT {
  private static final int ROUNDS = 25;

  @Test
  void replace_twoProcessesOnOneRevision_exactlyOneWinsEachRound_postgres() throws Exception {
    TestDatabases.onPostgres(this::race);
  }

  @Test
  void replace_twoProcessesOnOneRevision_exactlyOneWinsEachRound_h2Server() throws Exception {
    TestDatabases.onH2Server("race", this::race);
  }

  private void race(String url, String user, String password) throws Exception {
    String table = "cmk_fleet_state_race";
    String key = "https://race.vault.azure.net/keys/k-" + System.nanoTime();
    JdbcFleetStateStore judge = JdbcFleetStateStore.builder()
        .dataSource(TestDatabases.dataSource(url, user, password)).table(table).build();
    String revision = judge.replace(key, null,
        FleetKeyState.available(0, Instant.parse("2026-12-07T09:00:00Z"), "judge"))
        .orElseThrow().revision();
    List<ChildJvm> replicas = new ArrayList<>();
    try {
      for (String name : new String[] {"replica-a", "replica-b"}) {
        replicas.add(ChildJvm.start(RaceReplica.class, Map.of("RACE_PASSWORD", password),
            new File("target/race-" + name + ".err"), url, user, table, key, name));
      }
      List<BufferedReader> outs = replicas.stream().map(ChildJvm::out).toList();
      List<PrintStream> ins = replicas.stream().map(ChildJvm::in).toList();
      for (BufferedReader out : outs) {
        assertEquals("READY", out.readLine(), "a replica did not start (target/race-*.err)");
      }
      int[] wins = new int[2];
      for (int round = 0; round < ROUNDS; round++) {
        for (PrintStream in : ins) {
          in.println("GO " + revision);
        }
        List<String> answers = List.of(outs.get(0).readLine(), outs.get(1).readLine());
        long won = answers.stream().filter(a -> a.startsWith("WON ")).count();
        assertEquals(1, won, "round " + round + ": " + answers);
        assertTrue(answers.contains("LOST"), answers::toString);
        int winner = answers.get(0).startsWith("WON ") ? 0 : 1;
        wins[winner]++;
        FleetRecord stored = judge.read(key).orElseThrow();
        assertEquals(answers.get(winner).substring(4), stored.revision());
        assertEquals(winner == 0 ? "replica-a" : "replica-b", stored.state().recordedBy());
        revision = stored.revision();
      }
      assertEquals(ROUNDS, wins[0] + wins[1]);
      for (PrintStream in : ins) {
        in.close();
      }
      for (ChildJvm r : replicas) {
        assertTrue(r.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, r.process().exitValue());
      }
    } finally {
      replicas.forEach(r -> r.process().destroyForcibly());
    }
  }
}
