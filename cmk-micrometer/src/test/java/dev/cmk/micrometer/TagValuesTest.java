package dev.cmk.micrometer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyReference;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.RewrapItem;
import dev.cmk.testkit.ForwardingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After a workload through every metered path (writes, reads, a denial, a trip, the grace period,
 * refresh, rotation, re-wrap), no meter name or tag value holds key material, data, a key
 * version or a full key reference.
 */
class TagValuesTest {
  private static final String MARKER = "PATIENT-SECRET-5a4b3c2d1e";

  @Test
  void workload_tagValues_containNoKeyMaterialDataOrVersionedReference() {
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider provider = InMemoryKeyProvider.builder().clock(clock).build();
    List<byte[]> wrappedDataKeys = new ArrayList<>();
    KeyEncryptionKeyProvider recording = new Recording(provider, wrappedDataKeys);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    KeyReference v1 = provider.manager().createKey("tagged-key", 2048);
    byte[] plaintext = ("{\"name\":\"" + MARKER + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] aad = "Patient/7".getBytes(StandardCharsets.UTF_8);
    EnvelopeCrypto crypto = CmkMetrics.builder(registry).tag("instance", "scan").build()
        .installOn(EnvelopeCrypto.builder().provider(recording).writeKey(v1.versionless())
            .clock(clock).sleeper(clock::advance))
        .build();

    byte[] envelope = crypto.encrypt(plaintext, aad);
    crypto.decrypt(envelope, aad);
    crypto.diagnostics().purgeDataKeys();
    crypto.decrypt(envelope, aad);
    provider.manager().setEnabled(v1, false);
    clock.advance(Duration.ofMinutes(6));
    swallow(() -> crypto.decrypt(envelope, aad));
    clock.advance(Duration.ofMinutes(31));
    crypto.keyAccess().status();
    provider.manager().setEnabled(v1, true);
    crypto.keyAccess().refresh();
    KeyReference v2 = provider.manager().rotateKey(v1);
    clock.advance(Duration.ofMinutes(6));
    byte[][] stored = {envelope};
    crypto.rewrapAll(List.of(RewrapItem.ofBytes("1", () -> stored[0], b -> stored[0] = b)),
        (id, o, n) -> { });

    List<String> forbidden = new ArrayList<>(List.of(
        MARKER,
        v1.toString(),
        v2.toString(),
        v1.version().orElseThrow(),
        v2.version().orElseThrow(),
        Base64.getEncoder().encodeToString(plaintext)));
    assertTrue(wrappedDataKeys.size() >= 3, "data keys and canaries were wrapped");
    for (byte[] key : wrappedDataKeys) {
      forbidden.add(HexFormat.of().formatHex(key));
      forbidden.add(HexFormat.of().withUpperCase().formatHex(key));
      forbidden.add(Base64.getEncoder().encodeToString(key));
      forbidden.add(Base64.getUrlEncoder().withoutPadding().encodeToString(key));
      forbidden.add(Arrays.toString(key));
    }

    List<String> seen = new ArrayList<>();
    for (Meter m : registry.getMeters()) {
      seen.add(m.getId().getName());
      for (Tag t : m.getId().getTags()) {
        seen.add(t.getKey() + "=" + t.getValue());
      }
    }
    assertTrue(seen.contains("key=tagged-key"), seen::toString);
    assertTrue(seen.contains("outcome=denied") || seen.contains("outcome=success"), seen::toString);
    for (String s : seen) {
      for (String f : forbidden) {
        assertFalse(s.contains(f), () -> "a meter carries a secret or a versioned reference: " + s);
      }
      assertFalse(s.contains("local:"), () -> "a meter carries a key reference: " + s);
    }
  }

  /** The in-memory provider, keeping a copy of every data key it is asked to wrap. */
  private static final class Recording extends ForwardingProvider {
    private final List<byte[]> wrapped;

    Recording(InMemoryKeyProvider delegate, List<byte[]> wrapped) {
      super(delegate);
      this.wrapped = wrapped;
    }

    @Override
    public synchronized WrappedKey wrap(KeyReference reference, SecretBytes dataKey) {
      wrapped.add(dataKey.copy());
      return super.wrap(reference, dataKey);
    }
  }

  private static void swallow(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException expected) {
      // the key is disabled
    }
  }
}
