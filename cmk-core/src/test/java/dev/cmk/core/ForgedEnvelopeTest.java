package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One envelope naming a key the identity may not use (another vault's key, a version without a
 * role assignment) fails its own request and nothing else; only a denial of the configured key
 * itself, confirmed by re-checking it, trips the guard. In-memory providers; the same behaviour
 * against the real Azure SDK is pinned in cmk-azure-keyvault's ForgedEnvelopeIT.
 */
class ForgedEnvelopeTest {
  private static final byte[] AAD = "Patient/1/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Patient\"}".getBytes(StandardCharsets.UTF_8);
  private static final Fault NOT_AUTHORIZED =
      Fault.denied(KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED);

  private final ManualClock clock = ManualClock.create();
  private final InMemoryKeyProvider vaultA =
      InMemoryKeyProvider.builder().id("vault-a").clock(clock).build();
  private final FaultInjectingProvider faultsA = FaultInjectingProvider.wrapping(vaultA);
  private final InMemoryKeyProvider vaultB =
      InMemoryKeyProvider.builder().id("vault-b").clock(clock).build();
  private final FaultInjectingProvider faultsB = FaultInjectingProvider.wrapping(vaultB);
  private final KeyReference key = vaultA.manager().createKey("configured", 2048);
  private final KeyReference other = vaultA.manager().createKey("no-role-assignment", 2048);
  private final KeyReference foreign = vaultB.manager().createKey("foreign", 2048);

  private EnvelopeCrypto service() {
    return EnvelopeCrypto.builder().provider(faultsA).provider(faultsB)
        .writeKey("vault-a", key.versionless()).clock(clock).sleeper(clock::advance).build();
  }

  /** An envelope under {@code ref}, made while the identity could still use it. */
  private byte[] envelopeUnder(InMemoryKeyProvider provider, KeyReference ref) {
    return EnvelopeCrypto.builder().provider(provider).writeKey(ref).clock(clock).build()
        .encrypt(DATA, AAD);
  }

  private void denyUnwrapAndDescribe(FaultInjectingProvider provider, KeyReference ref) {
    provider.setFault(Operation.UNWRAP, NOT_AUTHORIZED.onlyFor(ref));
    provider.setFault(Operation.DESCRIBE, NOT_AUTHORIZED.onlyFor(ref));
  }

  @Test
  void versionWithoutRoleAssignment_failsThatRequestOnly() {
    byte[] forged = envelopeUnder(vaultA, other);
    EnvelopeCrypto crypto = service();
    byte[] mine = crypto.encrypt(DATA, AAD);
    denyUnwrapAndDescribe(faultsA, other.versionless());

    KeyAccessDeniedException e =
        assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(forged, AAD));
    assertEquals(KeyAccessDeniedException.Reason.IDENTITY_NOT_AUTHORIZED, e.reason());
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertEquals(1, crypto.diagnostics().cachedDataKeys(), "the configured key's data key was not purged");
    assertArrayEquals(DATA, crypto.decrypt(mine, AAD));
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD), "writes go on");

    long calls = faultsA.unwrapCount() + faultsA.describeCount() + faultsA.wrapCount();
    for (int i = 0; i < 1000; i++) {
      assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(forged, AAD));
    }
    assertEquals(calls, faultsA.unwrapCount() + faultsA.describeCount() + faultsA.wrapCount(),
        "a repeated forged envelope costs no provider call until its backoff period passed");
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
  }

  @Test
  void anotherVaultsKey_failsThatRequestOnly() {
    byte[] forged = envelopeUnder(vaultB, foreign);
    EnvelopeCrypto crypto = service();
    byte[] mine = crypto.encrypt(DATA, AAD);
    faultsB.denyIdentity(true);

    assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(forged, AAD));
    clock.advance(Duration.ofSeconds(10)); // past the re-check spacing: a second try re-checks
    assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(forged, AAD));

    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertArrayEquals(DATA, crypto.decrypt(mine, AAD));
    assertArrayEquals(DATA, crypto.decrypt(crypto.encrypt(DATA, AAD), AAD));
  }

  @Test
  void rewrapAll_forgedItemFails_othersAreRewrapped() {
    byte[] forged = envelopeUnder(vaultA, other);
    EnvelopeCrypto crypto = service();
    byte[] first = crypto.encrypt(DATA, AAD);
    byte[] second = crypto.encrypt(DATA, AAD);
    vaultA.manager().rotateKey(key);
    clock.advance(Duration.ofMinutes(1));
    denyUnwrapAndDescribe(faultsA, other.versionless());
    Map<String, byte[]> store = new HashMap<>(Map.of("a", first, "forged", forged, "b", second));
    List<RewrapItem> items = new ArrayList<>();
    for (String id : List.of("a", "forged", "b")) {
      items.add(RewrapItem.ofBytes(id, () -> store.get(id), bytes -> store.put(id, bytes)));
    }

    RewrapReport report = crypto.rewrapAll(items, (id, outcome, n) -> { });

    assertEquals(3, report.total());
    assertEquals(2, report.rewrapped(), "the run went on past the forged item");
    assertEquals(1, report.failed());
    assertEquals("forged", report.failures().get(0).id());
    assertTrue(report.failures().get(0).error().contains("KeyAccessDeniedException"),
        report.failures().get(0).error());
    assertArrayEquals(forged, store.get("forged"), "the failed item is left unchanged");
    assertArrayEquals(DATA, crypto.decrypt(store.get("a"), AAD));
    assertArrayEquals(DATA, crypto.decrypt(store.get("b"), AAD));
  }

  @Test
  void configuredKeyDenied_isConfirmedByReCheck_andTripsTheGuard() {
    EnvelopeCrypto crypto = service();
    byte[] mine = crypto.encrypt(DATA, AAD);
    byte[] forged = envelopeUnder(vaultA, other);
    faultsA.denyIdentity(true); // the identity lost its role on the whole vault

    KeyAccessSuspendedException e =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(forged, AAD));
    assertTrue(e.getCause() instanceof KeyAccessDeniedException, "the denial is the cause");
    KeyAccessStatus status = crypto.keyAccess().status();
    assertEquals(KeyAccessState.UNAVAILABLE, status.state());
    assertEquals(LossCause.IDENTITY_NOT_AUTHORIZED, status.cause());
    assertEquals(0, crypto.diagnostics().cachedDataKeys(), "a confirmed identity loss purges every data key");
    assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(mine, AAD));
  }

  @Test
  void configuredKeyAloneDenied_tripsAtTheNextProbe_withIdentityCause() {
    EnvelopeCrypto crypto = service();
    byte[] mine = crypto.encrypt(DATA, AAD);
    denyUnwrapAndDescribe(faultsA, key.versionless());
    faultsA.setFault(Operation.WRAP, NOT_AUTHORIZED.onlyFor(key.versionless()));
    clock.advance(Duration.ofMinutes(1));

    assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(mine, AAD));
    assertEquals(LossCause.IDENTITY_NOT_AUTHORIZED, crypto.keyAccess().status().cause());
    assertEquals(0, crypto.diagnostics().cachedDataKeys());
  }
}
