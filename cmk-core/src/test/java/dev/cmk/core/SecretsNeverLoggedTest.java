package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs a workload through every logged and thrown path (writes, reads, tampering, wrong
 * associated data, trips, recovery, refresh) while capturing the log output, then scans logs and
 * exception messages for the data key and the plaintext in every usual encoding; the same for
 * everything a {@link CryptoObserver} is told (what metrics are made of).
 */
class SecretsNeverLoggedTest {
  private static final String MARKER = "PATIENT-SECRET-9f8e7d6c5b4a";

  @Test
  void workload_logsAndExceptionMessages_containNoKeyBytesOrPlaintext() throws Exception {
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
    FaultInjectingProvider faults = FaultInjectingProvider.wrapping(provider);
    KeyReference v1 = provider.manager().createKey("secrecy", 2048);
    byte[] plaintext = ("{\"name\":\"" + MARKER + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] aad = "Patient/1".getBytes(StandardCharsets.UTF_8);
    List<Throwable> thrown = new ArrayList<>();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    PrintStream originalOut = System.out;
    byte[] envelope;
    EnvelopeCrypto crypto;
    StringBuffer observed = new StringBuffer();
    CryptoObserver recording = new CryptoObserver() {
      @Override
      public void kekCall(String id, KekOperation op, KekOutcome outcome, long nanos) {
        observed.append(id).append(' ').append(op).append(' ').append(outcome).append('\n');
      }

      @Override
      public void rewrapItem(RewrapOutcome outcome) {
        observed.append(outcome).append('\n');
      }
    };
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      crypto = EnvelopeCrypto.builder().provider(faults).writeKey(v1.versionless())
          .clock(clock).sleeper(clock::advance).observer(recording).build();
      envelope = crypto.encrypt(plaintext, aad);
      byte[] tampered = envelope.clone();
      tampered[tampered.length - 3] ^= 1;
      capture(thrown, () -> crypto.decrypt(tampered, aad));
      capture(thrown, () -> crypto.decrypt(envelope, "other".getBytes(StandardCharsets.UTF_8)));
      faults.setFault(Operation.DESCRIBE, Fault.transientFailure());
      clock.advance(Duration.ofMinutes(1));
      capture(thrown, () -> crypto.encrypt(plaintext, aad));
      faults.clearFaults();
      provider.manager().setEnabled(v1, false);
      clock.advance(Duration.ofMinutes(1));
      capture(thrown, () -> crypto.decrypt(envelope, aad));
      capture(thrown, () -> crypto.encrypt(plaintext, aad));
      clock.advance(Duration.ofMinutes(31));
      capture(thrown, () -> crypto.decrypt(envelope, aad));
      capture(thrown, () -> crypto.keyAccess().refresh());
      provider.manager().setEnabled(v1, true);
      crypto.keyAccess().refresh();
      crypto.decrypt(envelope, aad);
    } finally {
      System.setErr(originalErr);
      System.setOut(originalOut);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    // Event names are the messages (SLF4J 2 key-value pairs beside them, however the backend
    // renders those).
    assertTrue(logs.contains("cmk.key.state-changed"), "the workload was logged:\n" + logs);
    assertTrue(logs.contains("cmk.key.data-keys-purged") && logs.contains("cause=KEY_DISABLED"),
        "the purge was logged with its cause as a key-value pair:\n" + logs);
    assertTrue(observed.toString().contains("DESCRIBE UNAVAILABLE"), observed::toString);
    assertTrue(thrown.size() >= 6, "the workload threw: " + thrown);

    SecretBytes dataKey = provider.unwrap(TestKeys.wrappedKeyOf(envelope));
    byte[] key = dataKey.copy();
    List<String> forbidden = List.of(
        MARKER,
        HexFormat.of().formatHex(key),
        HexFormat.of().withUpperCase().formatHex(key),
        Base64.getEncoder().encodeToString(key),
        Base64.getUrlEncoder().withoutPadding().encodeToString(key),
        Arrays.toString(key),
        Base64.getEncoder().encodeToString(plaintext));
    StringBuilder messages = new StringBuilder();
    for (Throwable t : thrown) {
      for (Throwable c = t; c != null; c = c.getCause()) {
        messages.append(c).append('\n');
      }
    }
    for (String f : forbidden) {
      assertFalse(logs.contains(f), "log output leaks a secret");
      assertFalse(messages.toString().contains(f), "an exception message leaks a secret");
      assertFalse(observed.toString().contains(f), "an observer was told a secret");
    }
    assertFalse(dataKey.toString().contains(HexFormat.of().formatHex(key)));
  }

  private static void capture(List<Throwable> thrown, Runnable r) {
    try {
      r.run();
    } catch (CmkException e) {
      thrown.add(e);
    }
  }
}
