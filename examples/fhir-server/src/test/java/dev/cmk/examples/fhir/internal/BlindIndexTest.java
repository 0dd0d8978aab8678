package dev.cmk.examples.fhir.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.h2.jdbcx.JdbcConnectionPool;
import org.hl7.fhir.r4.model.Identifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BlindIndexTest {
  private ManualClock clock;
  private InMemoryKeyProvider vault;
  private KeyReference key;
  private EnvelopeCrypto crypto;
  private JdbcConnectionPool pool;

  @BeforeEach
  void setUp() {
    clock = ManualClock.create();
    vault = InMemoryKeyProvider.builder().clock(clock).build();
    key = vault.createKey("fhir-cmk", 2048);
    crypto = crypto();
    pool = JdbcConnectionPool.create("jdbc:h2:mem:" + UUID.randomUUID(), "sa", "");
    new ResourceStore(pool, crypto).createSchema();
  }

  private EnvelopeCrypto crypto() {
    return EnvelopeCrypto.builder().provider(vault).writeKey(key.versionless())
        .keyPolicy(KeyPolicy.fhirService()).clock(clock).build();
  }

  @AfterEach
  void tearDown() {
    crypto.close();
    pool.dispose();
  }

  private byte[] storedEnvelope() throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope FROM fhir_index_key");
        ResultSet rs = ps.executeQuery()) {
      assertTrue(rs.next());
      byte[] e = rs.getBytes(1);
      assertFalse(rs.next(), "one index key");
      return e;
    }
  }

  @Test
  void tokens_deterministicPerKind_distinctAcrossKindsAndValues() {
    BlindIndex.Hasher h = new BlindIndex(pool, crypto).hasher();
    assertEquals(h.value("123"), h.value("123"));
    assertNotEquals(h.value("123"), h.value("124"));
    assertNotEquals(h.value("123"), h.system("123"));
    assertNotEquals(h.systemAndValue("", "123"), h.value("123"));
    // Length prefixes: moving the boundary between system and value changes the token.
    assertNotEquals(h.systemAndValue("ab", "c"), h.systemAndValue("a", "bc"));
    Set<String> tokens = h.tokensOf(List.of(new Identifier().setSystem("urn:s").setValue("1"),
        new Identifier().setValue("1")));
    assertEquals(Set.of(h.systemAndValue("urn:s", "1"), h.value("1"), h.system("urn:s"),
        h.systemAndValue("", "1")), tokens);
  }

  @Test
  void indexKey_storedWrappedOnce_sharedByAnotherInstance() throws SQLException {
    String token = new BlindIndex(pool, crypto).hasher().value("MRN-1");
    byte[] envelope = storedEnvelope();
    assertTrue(envelope.length > 32 + 256, "an envelope with an RSA-wrapped data key");
    // A second replica (another BlindIndex, another EnvelopeCrypto) uses the stored key.
    try (EnvelopeCrypto other = crypto()) {
      assertEquals(token, new BlindIndex(pool, other).hasher().value("MRN-1"));
    }
    assertArrayEquals(envelope, storedEnvelope(), "not replaced");
  }

  @Test
  void indexKey_isBoundToItsPurpose_anEnvelopeForOtherDataIsRefused() throws SQLException {
    new BlindIndex(pool, crypto).hasher();
    byte[] other = crypto.encrypt(new byte[32], "something else".getBytes(StandardCharsets.UTF_8));
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE fhir_index_key SET envelope = ?")) {
      ps.setBytes(1, other);
      assertEquals(1, ps.executeUpdate());
    }
    assertThrows(CmkException.class, () -> new BlindIndex(pool, crypto).hasher());
  }

  @Test
  void hasher_whileTheKeyIsLost_failsAndComputesNoToken() {
    BlindIndex index = new BlindIndex(pool, crypto);
    index.hasher();
    vault.setEnabled(key, false);
    clock.advance(Duration.ofMinutes(2));
    crypto.keyAccess().probeIfDue();
    assertThrows(CmkException.class, index::hasher);
  }
}
