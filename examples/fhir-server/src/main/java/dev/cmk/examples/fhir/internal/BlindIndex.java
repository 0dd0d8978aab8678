package dev.cmk.examples.fhir.internal;

import dev.cmk.core.EnvelopeCrypto;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.hl7.fhir.r4.model.Identifier;

/**
 * A keyed blind index of resource identifiers: the database holds HMAC-SHA256 tokens of
 * identifiers, never their systems or values, so that conditional operations can find the
 * resources that carry an identifier without decrypting every resource.
 *
 * <p>The HMAC key (the <em>index key</em>) is 32 random bytes made once per database and stored
 * only as a cmk envelope under the customer-managed key (table {@code fhir_index_key}, associated
 * data {@value #KEY_AAD}). Every {@link #hasher()} unwraps it through {@link EnvelopeCrypto}, so
 * the loss-of-access guard and key policy apply: while the customer key is lost, no token can be
 * computed and the index cannot be queried or written. Replicas sharing a database share the
 * first index key written (the insert is keyed; the loser reads the winner's).
 *
 * <p><b>Security guarantees:</b> a token is {@code HMAC-SHA256(indexKey, kind || len || part ...)}
 * with three kinds per identifier: system and value ({@code system|value}; no system is the empty
 * system), value alone ({@code value}), system alone ({@code system|}). Without the index key a
 * token reveals nothing about the identifier; with the database alone an attacker learns
 * <em>equality</em>: which resources share an identifier value, or a system (and how many
 * identifiers each resource has). Tokens are deterministic by design, that is what an index
 * lookup needs.
 *
 * <p><b>Thread safety:</b> safe for concurrent use; a {@link Hasher} is for one thread.
 */
public final class BlindIndex {
  /** The associated data of the index key's envelope. */
  static final String KEY_AAD = "cmk-example-fhir/blind-index-key/1";

  private static final String HMAC = "HmacSHA256";
  private static final byte KIND_SYSTEM_VALUE = 'B';
  private static final byte KIND_VALUE = 'V';
  private static final byte KIND_SYSTEM = 'S';

  private final DataSource dataSource;
  private final EnvelopeCrypto crypto;
  private final SecureRandom random = new SecureRandom();
  private volatile byte[] envelope;

  /**
   * @param dataSource the database (schema made by {@link ResourceStore#createSchema()})
   * @param crypto wraps and unwraps the index key under the customer-managed key
   */
  public BlindIndex(DataSource dataSource, EnvelopeCrypto crypto) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.crypto = Objects.requireNonNull(crypto, "crypto");
  }

  /**
   * A hasher under the index key, made on the first use (and stored wrapped).
   *
   * @return a hasher for one request
   * @throws dev.cmk.api.CmkException if the customer-managed key cannot unwrap (or wrap) the
   *     index key
   * @throws ResourceStore.StorageException if the database fails
   */
  public Hasher hasher() {
    byte[] key = crypto.decrypt(envelope(), KEY_AAD.getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return new Hasher(mac);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private byte[] envelope() {
    byte[] e = envelope;
    if (e != null) {
      return e;
    }
    try {
      Optional<byte[]> stored = readEnvelope();
      if (stored.isEmpty()) {
        byte[] key = new byte[32];
        random.nextBytes(key);
        byte[] wrapped;
        try {
          wrapped = crypto.encrypt(key, KEY_AAD.getBytes(StandardCharsets.UTF_8));
        } finally {
          Arrays.fill(key, (byte) 0);
        }
        try (Connection c = dataSource.getConnection();
            PreparedStatement ps =
                c.prepareStatement("INSERT INTO fhir_index_key (key_id, envelope) VALUES (1, ?)")) {
          ps.setBytes(1, wrapped);
          ps.executeUpdate();
          if (!c.getAutoCommit()) {
            c.commit();
          }
        } catch (SQLException ex) {
          if (!StoreSql.isDuplicateKey(ex)) {
            throw ex;
          }
          // another replica made the index key first: use its key
        }
        stored = readEnvelope();
      }
      envelope = stored.orElseThrow(() -> new IllegalStateException("index key row missing"));
      return envelope;
    } catch (SQLException ex) {
      throw new ResourceStore.StorageException("reading the index key failed", ex);
    }
  }

  private Optional<byte[]> readEnvelope() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT envelope FROM fhir_index_key WHERE key_id = 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
    }
  }

  /** Replaces a resource's tokens inside the caller's transaction. */
  static void replaceTokens(Connection c, String resourceType, String id, Set<String> tokens)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM fhir_identifier_index WHERE resource_type = ? AND resource_id = ?")) {
      ps.setString(1, resourceType);
      ps.setString(2, id);
      ps.executeUpdate();
    }
    if (tokens.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO fhir_identifier_index"
        + " (resource_type, resource_id, token) VALUES (?, ?, ?)")) {
      for (String t : tokens) {
        ps.setString(1, resourceType);
        ps.setString(2, id);
        ps.setString(3, t);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Computes tokens under the index key. Not thread-safe: one per request. */
  public static final class Hasher {
    private final Mac mac;

    private Hasher(Mac mac) {
      this.mac = mac;
    }

    /**
     * The token of {@code system|value}.
     *
     * @param system the system, empty for "no system"
     * @param value the value
     * @return the token (64 hex digits)
     */
    public String systemAndValue(String system, String value) {
      return token(KIND_SYSTEM_VALUE, system, value);
    }

    /** {@return the token of a value in any system} */
    public String value(String value) {
      return token(KIND_VALUE, value);
    }

    /** {@return the token of a system with any value} */
    public String system(String system) {
      return token(KIND_SYSTEM, system);
    }

    /**
     * The tokens of a resource's identifiers: for each, system-and-value, value, and system.
     *
     * @param identifiers the identifiers
     * @return the distinct tokens
     */
    public Set<String> tokensOf(List<Identifier> identifiers) {
      Set<String> out = new LinkedHashSet<>();
      for (Identifier i : identifiers) {
        String system = i.hasSystem() ? i.getSystem() : "";
        if (i.hasValue()) {
          out.add(systemAndValue(system, i.getValue()));
          out.add(value(i.getValue()));
        }
        if (!system.isEmpty()) {
          out.add(system(system));
        }
      }
      return out;
    }

    private String token(byte kind, String... parts) {
      mac.update(kind);
      for (String part : parts) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(b.length).array());
        mac.update(b);
      }
      return HexFormat.of().formatHex(mac.doFinal());
    }
  }
}
