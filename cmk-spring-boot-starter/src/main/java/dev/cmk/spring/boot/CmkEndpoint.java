package dev.cmk.spring.boot;

import dev.cmk.api.CmkException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The Actuator endpoint {@code cmk}: read ({@code GET /actuator/cmk}) returns the guard's status;
 * write ({@code POST /actuator/cmk}) runs {@code KeyAccessGuard#refresh()} — re-reads the key, checks
 * the policy, proves access with a trial wrap and unwrap, and reopens the guard — the explicit
 * step needed once the grace period has passed.
 *
 * <p>The write answer always carries {@code refreshed} (true or false) and the status after the
 * attempt; a failed refresh adds {@code error}, the exception's message (cmk's messages carry no
 * secrets), and leaves the guard as it was.
 *
 * <p><b>Security guarantees:</b> no key material, tokens, PINs or passwords in any answer. The
 * write operation reaches the key vault: expose and secure it as an operator action.
 *
 * <p><b>Thread safety:</b> safe for concurrent use (the guard serializes refreshes).
 */
@Endpoint(id = "cmk")
public final class CmkEndpoint {
  private final EnvelopeCrypto crypto;

  /**
   * Serves {@code crypto}'s guard.
   *
   * @param crypto the instance whose guard is reported and refreshed
   */
  public CmkEndpoint(EnvelopeCrypto crypto) {
    this.crypto = Objects.requireNonNull(crypto, "crypto");
  }

  /** {@return the guard's status, with the provider's last error if any} */
  @ReadOperation
  public Map<String, Object> status() {
    return StatusDetails.of(crypto.keyAccess().status(), true);
  }

  /** {@return whether the refresh succeeded, and the status after it} */
  @WriteOperation
  public Map<String, Object> refresh() {
    Map<String, Object> answer = new LinkedHashMap<>();
    KeyAccessStatus after;
    try {
      after = crypto.keyAccess().refresh();
      answer.put("refreshed", true);
    } catch (CmkException | IllegalStateException e) {
      answer.put("refreshed", false);
      answer.put("error", e.getMessage());
      after = crypto.keyAccess().status();
    }
    answer.putAll(StatusDetails.of(after, true));
    return answer;
  }
}
