package dev.cmk.state.azureblob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.core.KeyAccessState;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.testkit.azurite.Azurite;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three replica processes (separate JVMs, SDK clients and connections) replace the same revision
 * of one key's blob at the same moment: exactly one wins, and the blob holds the winner's state.
 */
class BlobFleetStateStoreProcessRaceIT {
  private static final int REPLICAS = 3;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void replace_threeProcessesOnOneRevision_exactlyOneWins() throws Exception {
    Azurite azurite = Azurite.shared();
    String container = azurite.createContainer();
    String key = "https://race.vault.azure.net/keys/processes";
    BlobFleetStateStore store =
        BlobFleetStateStore.builder().containerClient(azurite.client(container)).build();
    String base = store.replace(key, null, FleetKeyState.available(0, Instant.now(), "setup"))
        .orElseThrow().revision();

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> replicas = new ArrayList<>();
    List<BufferedReader> outputs = new ArrayList<>();
    try {
      for (int i = 0; i < REPLICAS; i++) {
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"), RaceReplicaMain.class.getName(),
            container, key, base, "replica-" + i);
        pb.environment().put("CMK_TEST_BLOB_CONNECTION_STRING", azurite.connectionString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        replicas.add(p);
        outputs.add(new BufferedReader(
            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
      }
      for (BufferedReader out : outputs) {
        assertEquals("READY", out.readLine());
      }
      for (Process p : replicas) {
        OutputStream in = p.getOutputStream();
        in.write("GO\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
      }
      List<String> winners = new ArrayList<>();
      String winningRevision = null;
      for (int i = 0; i < REPLICAS; i++) {
        String result = outputs.get(i).readLine();
        assertTrue("LOST".equals(result) || (result != null && result.startsWith("WON ")),
            "replica-" + i + " said " + result);
        if (result.startsWith("WON ")) {
          winners.add("replica-" + i);
          winningRevision = result.substring(4);
        }
        assertTrue(replicas.get(i).waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, replicas.get(i).exitValue());
      }
      assertEquals(1, winners.size(), "winners: " + winners);
      FleetRecord stored = store.read(key).orElseThrow();
      assertEquals(winningRevision, stored.revision());
      assertEquals(winners.get(0), stored.state().recordedBy());
      assertEquals(KeyAccessState.UNAVAILABLE, stored.state().state());
    } finally {
      replicas.forEach(Process::destroyForcibly);
    }
  }
}
