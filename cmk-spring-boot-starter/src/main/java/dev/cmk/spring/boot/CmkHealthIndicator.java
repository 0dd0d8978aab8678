package dev.cmk.spring.boot;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the customer-managed key, from the loss-of-access guard ({@code
 * KeyAccessGuard#status()}): {@code UP} while the key is available; {@code DOWN} while access is
 * lost but may still recover by itself within the grace period; {@code OUT_OF_SERVICE} once the
 * grace period has passed and only a refresh (the {@code cmk} endpoint's write operation) reopens
 * the guard. Details: {@code state}, {@code since}, {@code cause}, {@code graceRemaining} (ISO-8601),
 * {@code key}, {@code currentVersion}, {@code lastConfirmed}.
 *
 * <p><b>Security guarantees:</b> the details hold the guard's state and the key reference only
 * (references are not secret); never key material, tokens, PINs or passwords, and not the
 * provider's last error text (which the {@code cmk} endpoint shows).
 *
 * <p><b>Thread safety:</b> safe for concurrent use. A health check makes no call to the key
 * provider, except the one deadline probe at the end of the grace period.
 */
public final class CmkHealthIndicator implements HealthIndicator {
  private final EnvelopeCrypto crypto;

  /**
   * Reports the health of {@code crypto}'s key.
   *
   * @param crypto the instance whose guard is reported
   */
  public CmkHealthIndicator(EnvelopeCrypto crypto) {
    this.crypto = Objects.requireNonNull(crypto, "crypto");
  }

  @Override
  public Health health() {
    KeyAccessStatus status = crypto.keyAccess().status();
    Status s;
    switch (status.state()) {
      case AVAILABLE:
        s = Status.UP;
        break;
      case UNAVAILABLE:
        s = Status.DOWN;
        break;
      default:
        s = Status.OUT_OF_SERVICE;
        break;
    }
    return Health.status(s).withDetails(StatusDetails.of(status, false)).build();
  }
}
