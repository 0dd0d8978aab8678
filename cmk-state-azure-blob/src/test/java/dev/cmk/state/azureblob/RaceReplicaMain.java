package dev.cmk.state.azureblob;

import dev.cmk.core.LossCause;
import dev.cmk.core.fleet.FleetKeyState;
import dev.cmk.core.fleet.FleetRecord;
import dev.cmk.testkit.azurite.Azurite;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * One replica process of {@link BlobFleetStateStoreProcessRaceIT}: builds its own store, reads the
 * key once (warm connection), prints {@code READY}, waits for {@code GO} on standard input, then
 * replaces {@code args[2]} and prints {@code WON <revision>} or {@code LOST}.
 *
 * <p>Arguments: container, key id, base revision, replica name. The connection string comes from
 * the environment variable {@code CMK_TEST_BLOB_CONNECTION_STRING}, never the command line.
 */
public final class RaceReplicaMain {
  private RaceReplicaMain() {}

  /**
   * Runs one replica.
   *
   * @param args container, key id, base revision, replica name
   * @throws Exception on any failure (exit code 1)
   */
  public static void main(String[] args) throws Exception {
    String connectionString = System.getenv("CMK_TEST_BLOB_CONNECTION_STRING");
    BlobFleetStateStore store = BlobFleetStateStore.builder()
        .containerClient(Azurite.client(connectionString, args[0]))
        .build();
    String key = args[1];
    store.read(key).orElseThrow();
    System.out.println("READY");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (!"GO".equals(in.readLine())) {
      throw new IllegalStateException("no GO");
    }
    Instant now = Instant.now();
    Optional<FleetRecord> won = store.replace(key, args[2],
        FleetKeyState.unavailable(0, now, LossCause.KEY_DISABLED, now, args[3]));
    System.out.println(won.map(r -> "WON " + r.revision()).orElse("LOST"));
    System.out.flush();
    System.exit(0);
  }
}
