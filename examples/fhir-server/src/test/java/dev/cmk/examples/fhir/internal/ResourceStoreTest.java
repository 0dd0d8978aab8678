package dev.cmk.examples.fhir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.examples.fhir.internal.ResourceStore.VersionConflictException;
import dev.cmk.examples.fhir.internal.ResourceStore.VersionKey;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ResourceStoreTest {
  private ManualClock clock;
  private InMemoryKeyProvider vault;
  private KeyReference key;
  private EnvelopeCrypto crypto;
  private JdbcConnectionPool pool;
  private ResourceStore store;

  @BeforeEach
  void setUp() {
    clock = ManualClock.create();
    vault = InMemoryKeyProvider.builder().clock(clock).build();
    key = vault.createKey("fhir-cmk", 2048);
    crypto = EnvelopeCrypto.builder().provider(vault).writeKey(key.versionless())
        .keyPolicy(KeyPolicy.fhirService()).clock(clock).build();
    pool = JdbcConnectionPool.create("jdbc:h2:mem:" + UUID.randomUUID(), "sa", "");
    store = new ResourceStore(pool, crypto);
    store.createSchema();
  }

  @AfterEach
  void tearDown() {
    crypto.close();
    pool.dispose();
  }

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void setEnvelope(String id, long version, byte[] envelope) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE fhir_resource_version SET envelope = ?"
            + " WHERE resource_type = 'Patient' AND resource_id = ? AND version_id = ?")) {
      ps.setBytes(1, envelope);
      ps.setString(2, id);
      ps.setLong(3, version);
      assertEquals(1, ps.executeUpdate());
    }
  }

  private byte[] envelope(String id, long version) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope FROM fhir_resource_version"
            + " WHERE resource_type = 'Patient' AND resource_id = ? AND version_id = ?")) {
      ps.setString(1, id);
      ps.setLong(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        return rs.getBytes(1);
      }
    }
  }

  @Test
  void write_thenRead_roundTripsAndTracksCurrentVersion() {
    Instant t = clock.instant();
    store.write("Patient", "a", 0, t, json("{\"v\":1}"));
    store.write("Patient", "a", 1, t.plusSeconds(1), json("{\"v\":2}"));
    assertArrayEquals(json("{\"v\":1}"), store.read("Patient", "a", 1).orElseThrow().json());
    assertArrayEquals(json("{\"v\":2}"), store.read("Patient", "a", 2).orElseThrow().json());
    VersionKey current = store.current("Patient", "a").orElseThrow();
    assertEquals(2, current.version());
    assertEquals(t.plusSeconds(1), current.lastUpdated());
    assertTrue(store.read("Patient", "a", 3).isEmpty());
    assertTrue(store.current("Observation", "a").isEmpty());
  }

  @Test
  void write_staleExpectedVersion_conflicts() {
    store.write("Patient", "a", 0, clock.instant(), json("{}"));
    assertThrows(VersionConflictException.class,
        () -> store.write("Patient", "a", 0, clock.instant(), json("{}")));
    store.write("Patient", "a", 1, clock.instant(), json("{}"));
    assertThrows(VersionConflictException.class,
        () -> store.write("Patient", "a", 1, clock.instant(), json("{}")));
    assertEquals(2, store.current("Patient", "a").orElseThrow().version());
  }

  @Test
  void write_invalidId_refused() {
    assertThrows(IllegalArgumentException.class,
        () -> store.write("Patient", "a/b", 0, clock.instant(), json("{}")));
  }

  @Test
  void envelope_copiedOntoAnotherIdOrVersion_failsToDecrypt() throws SQLException {
    store.write("Patient", "a", 0, clock.instant(), json("{\"name\":\"A\"}"));
    store.write("Patient", "a", 1, clock.instant(), json("{\"name\":\"A2\"}"));
    store.write("Patient", "b", 0, clock.instant(), json("{\"name\":\"B\"}"));
    setEnvelope("b", 1, envelope("a", 1));
    assertThrows(InvalidCiphertextException.class, () -> store.read("Patient", "b", 1));
    setEnvelope("a", 1, envelope("a", 2));
    assertThrows(InvalidCiphertextException.class, () -> store.read("Patient", "a", 1));
    assertArrayEquals(json("{\"name\":\"A2\"}"), store.read("Patient", "a", 2).orElseThrow().json());
  }

  @Test
  void delete_storesNoEnvelope_andLeavesSearch() throws SQLException {
    store.write("Patient", "a", 0, clock.instant(), json("{}"));
    VersionKey deleted = store.write("Patient", "a", 1, clock.instant(), null);
    assertTrue(deleted.deleted());
    assertNull(envelope("a", 2));
    assertTrue(store.read("Patient", "a", 2).orElseThrow().jsonBytes().isEmpty());
    assertEquals(List.of(), store.search("Patient", Set.of(), List.of()));
    assertEquals(List.of(2L, 1L),
        store.history("Patient", "a").stream().map(VersionKey::version).toList());
  }

  @Test
  void search_byIdsAndLastUpdated_usesCurrentVersions() {
    Instant t0 = clock.instant();
    store.write("Patient", "a", 0, t0, json("{}"));
    store.write("Patient", "b", 0, t0.plusSeconds(10), json("{}"));
    store.write("Patient", "c", 0, t0.plusSeconds(20), json("{}"));
    store.write("Patient", "a", 1, t0.plusSeconds(30), json("{}"));
    store.write("Observation", "a", 0, t0, json("{}"));
    assertEquals(List.of("b", "c", "a"), ids(store.search("Patient", Set.of(), List.of())));
    assertEquals(List.of("c", "a"), ids(store.search("Patient", Set.of("a", "c"), List.of())));
    assertEquals(List.of("b", "c"), ids(store.search("Patient", Set.of(),
        List.of(List.of(new InstantRange(t0.plusSeconds(10), t0.plusSeconds(21)))))));
    assertEquals(List.of("b"), ids(store.search("Patient", Set.of(),
        List.of(List.of(new InstantRange(t0.plusSeconds(10), t0.plusSeconds(20)))))));
    assertEquals(List.of("a"), ids(store.search("Patient", Set.of(),
        List.of(List.of(InstantRange.atOrAfter(t0.plusSeconds(25)))))));
    // AND of ORs: (before t0+15 or at/after t0+25) and at/after t0+5
    assertEquals(List.of("b", "a"), ids(store.search("Patient", Set.of(),
        List.of(List.of(InstantRange.before(t0.plusSeconds(15)),
                InstantRange.atOrAfter(t0.plusSeconds(25))),
            List.of(InstantRange.atOrAfter(t0.plusSeconds(5)))))));
    assertEquals(List.of(), store.search("Patient", Set.of(), List.of(List.of())));
    assertEquals(2, store.search("Patient", Set.of("a"), List.of()).get(0).version());
  }

  private static List<String> ids(List<VersionKey> keys) {
    return keys.stream().map(VersionKey::id).toList();
  }

  @Test
  void write_keyNotAccessible_writesNothing() {
    store.write("Patient", "a", 0, clock.instant(), json("{}"));
    vault.setEnabled(key, false);
    clock.advance(Duration.ofMinutes(1));
    assertThrows(KeyAccessSuspendedException.class,
        () -> store.write("Patient", "a", 1, clock.instant(), json("{}")));
    assertEquals(1, store.current("Patient", "a").orElseThrow().version());
    assertEquals(1, store.history("Patient", "a").size());
  }

  @Test
  void associatedData_isTypeIdVersion() {
    assertArrayEquals(json("Patient/a-1/7"), ResourceStore.associatedData("Patient", "a-1", 7));
  }
}
