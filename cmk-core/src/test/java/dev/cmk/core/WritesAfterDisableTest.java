package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * After the write key version is disabled, writes (one-shot, streaming, re-wrap) succeed for at
 * most one probe interval P; in strict-writes mode with one message per data key, not at all.
 */
class WritesAfterDisableTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration P = KeyAccessSettings.DEFAULT.probeInterval();

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
  private final FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
  private KeyReference v1;

  /** Writes wrap locally (public key): after a disable only the guard can refuse them. */
  private EnvelopeCrypto crypto(KeyAccessSettings settings, DataKeyLimits limits) {
    v1 = provider.manager().createKey("writes-" + System.nanoTime() % 100000, 2048);
    return EnvelopeCrypto.builder().provider(new LocalWrapProvider(faults))
        .writeKey(v1.versionless()).clock(clock).sleeper(clock::advance).keyAccess(settings)
        .dataKeyLimits(limits).build();
  }

  /** Writes every second from the disable on; returns the time of the last successful write. */
  private Instant lastWriteAfterDisable(Consumer<Integer> write) {
    Instant last = null;
    for (int second = 0; second < 300; second++) {
      try {
        write.accept(second);
        last = clock.instant();
      } catch (CmkException refused) {
        return last;
      }
      clock.advance(Duration.ofSeconds(1));
    }
    throw new AssertionError("still writing five minutes after the disable");
  }

  @ParameterizedTest(name = "disabled {0} s after the last confirmation")
  @ValueSource(ints = {0, 30, 59})
  void oneShotEncrypt_succeedsAtMostOneProbeIntervalAfterDisable(int offset) {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT, DataKeyLimits.DEFAULT);
    crypto.encrypt(DATA, AAD);
    clock.advance(Duration.ofSeconds(offset));
    provider.manager().setEnabled(v1, false);
    Instant disabled = clock.instant();
    Instant last = lastWriteAfterDisable(i -> crypto.encrypt(DATA, AAD));
    assertTrue(last == null || last.isBefore(disabled.plus(P)),
        "last write at +" + (last == null ? "-" : Duration.between(disabled, last)));
  }

  @ParameterizedTest(name = "disabled {0} s after the last confirmation")
  @ValueSource(ints = {0, 30, 59})
  void openEncryptingStream_failsWithinOneProbeIntervalOfDisable(int offset) throws IOException {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT, DataKeyLimits.DEFAULT);
    OutputStream stream = crypto.encryptingStream(new ByteArrayOutputStream(), AAD);
    clock.advance(Duration.ofSeconds(offset));
    provider.manager().setEnabled(v1, false);
    Instant disabled = clock.instant();
    Instant last = lastWriteAfterDisable(i -> {
      try {
        stream.write(DATA);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(last == null || last.isBefore(disabled.plus(P)));
    assertThrows(IOException.class, () -> stream.write(DATA), "the refused stream stays failed");
  }

  @Test
  void rewrap_refusedWithinOneProbeIntervalOfDisable() {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT, DataKeyLimits.DEFAULT);
    byte[] old = crypto.encrypt(DATA, AAD);
    provider.manager().rotateKey(v1);
    clock.advance(P);
    crypto.encrypt(DATA, AAD); // picks up the new version
    KeyReference v2 = crypto.keyAccess().status().currentVersion();
    provider.manager().setEnabled(v2, false);
    Instant disabled = clock.instant();
    Instant last = lastWriteAfterDisable(i -> crypto.rewrap(old));
    assertNotNull(last, "the vault never refuses a local wrap: writes went on until the guard");
    assertTrue(last.isBefore(disabled.plus(P)), "last rewrap at +" + Duration.between(disabled, last));
  }

  @Test
  void strictWrites_withOneMessagePerDataKey_noWriteAfterTheProviderSaysDisabled() {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT.withStrictWrites(true),
        DataKeyLimits.singleUse());
    crypto.encrypt(DATA, AAD);
    long describes = faults.describeCount();
    crypto.encrypt(DATA, AAD);
    assertTrue(faults.describeCount() > describes, "each new data key confirms the key first");
    provider.manager().setEnabled(v1, false);
    assertThrows(CmkException.class, () -> crypto.encrypt(DATA, AAD), "zero writes after");
  }

  @Test
  void strictWrites_withDefaultLimits_nextDataKeyRollRefused() {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT.withStrictWrites(true),
        new DataKeyLimits(2, DataKeyLimits.DEFAULT.maxBytes(), DataKeyLimits.DEFAULT.maxAge()));
    assertNotNull(crypto.encrypt(DATA, AAD));
    provider.manager().setEnabled(v1, false);
    crypto.encrypt(DATA, AAD); // the second message of the current data key: no roll yet
    assertThrows(CmkException.class, () -> crypto.encrypt(DATA, AAD),
        "the roll to a new data key confirms first");
    assertFalse(crypto.keyAccess().status().state() == KeyAccessState.AVAILABLE);
  }

  @Test
  void withoutStrictWrites_sameRollAfterDisable_succeedsWithinTheInterval() {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT,
        new DataKeyLimits(2, DataKeyLimits.DEFAULT.maxBytes(), DataKeyLimits.DEFAULT.maxAge()));
    crypto.encrypt(DATA, AAD);
    provider.manager().setEnabled(v1, false);
    crypto.encrypt(DATA, AAD);
    assertNotNull(crypto.encrypt(DATA, AAD), "the control: only strict mode refuses this roll");
  }

  @Test
  void strictWrites_rewrapToANewVersion_confirmsBeforeWrapping() {
    EnvelopeCrypto crypto = crypto(KeyAccessSettings.DEFAULT.withStrictWrites(true),
        DataKeyLimits.DEFAULT);
    byte[] old = crypto.encrypt(DATA, AAD);
    provider.manager().rotateKey(v1);
    clock.advance(P);
    crypto.encrypt(DATA, AAD); // picks up the new version
    provider.manager().setEnabled(crypto.keyAccess().status().currentVersion(), false);
    assertThrows(CmkException.class, () -> crypto.rewrap(old),
        "a re-wrap is a new wrapping: strict mode confirms the key first");
  }
}
