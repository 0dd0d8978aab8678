package dev.cmk.api.spi;

import java.time.Duration;

/**
 * Told when a provider's client-side rate budget (for example the Azure Key Vault provider's
 * calls per vault per 10 seconds) made a call wait for a free slot, or refused it because the
 * wait would have been too long. A provider that has a rate budget accepts one of these on its
 * builder; {@code cmk-core}'s {@code CryptoObserver} extends this interface, so one metrics
 * object can be given to both.
 *
 * <p><b>Security guarantees:</b> only the provider id and a duration are passed; never a key,
 * a key URL or data.
 *
 * <p><b>Thread safety:</b> implementations must be safe for concurrent use, quick, and must not
 * throw (a provider may catch and ignore what they throw). Both methods default to doing
 * nothing.
 */
public interface RateBudgetObserver {

  /**
   * A call waited for a slot of the rate budget and then went ahead.
   *
   * @param providerId the provider's {@link KeyEncryptionKeyProvider#id() id}
   * @param waited how long the call waited
   */
  default void rateBudgetWaited(String providerId, Duration waited) {}

  /**
   * A call was refused because the budget's next free slot was further away than its maximum
   * wait (the caller got a retryable {@link dev.cmk.api.KeyProviderUnavailableException}).
   *
   * @param providerId the provider's {@link KeyEncryptionKeyProvider#id() id}
   * @param wouldWait how long the call would have had to wait
   */
  default void rateBudgetRefused(String providerId, Duration wouldWait) {}
}
