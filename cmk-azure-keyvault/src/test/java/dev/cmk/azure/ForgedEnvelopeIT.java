package dev.cmk.azure;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyAccessDeniedException.Reason;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyPolicy;
import dev.cmk.core.LossCause;
import dev.cmk.core.RewrapItem;
import dev.cmk.core.RewrapReport;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One forged envelope cannot suspend the service: a reader configured with key K in vault A (its
 * identity has a role assignment on K only; the provider allows vaults A and B) receives envelopes
 * whose header names a key it may not use, (a) a key in vault B, (b) a version of another key in
 * vault A. Key Vault refuses both with 403 {@code Forbidden}/{@code ForbiddenByRbac}. That request
 * fails with {@link KeyAccessDeniedException}; the guard stays {@code AVAILABLE}, cached data keys
 * survive, writes go on and {@code rewrapAll} reports the one item. A denial of K itself still trips
 * the guard. Real SDK, loopback Key Vault with RBAC, manual clock.
 */
class ForgedEnvelopeIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] AAD = "Patient/5/_history/2".getBytes(UTF_8);
  private static final Set<KeyPermission> SERVICE_ROLE =
      Set.of(KeyPermission.GET, KeyPermission.LIST, KeyPermission.WRAP_KEY, KeyPermission.UNWRAP_KEY);

  private static LoopbackKeyVault server;
  private static LoopbackVault vaultA;
  private static LoopbackVault vaultB;

  private final ManualClock clock = ManualClock.startingAt(Instant.now());
  private final List<EnvelopeCrypto> opened = new ArrayList<>();
  private VaultIdentity reader;
  private VaultIdentity writer;
  private String keyK;
  private KeyReference kFirstVersion;
  private EnvelopeCrypto crypto;

  @BeforeAll
  static void setUp() {
    server = LoopbackFixture.server();
    vaultA = server.vault(LoopbackFixture.RBAC_VAULT);
    vaultB = server.vault(LoopbackFixture.OTHER_RBAC_VAULT);
  }

  @BeforeEach
  void readerWithRoleOnKOnly() {
    String suffix = HexFormat.of().toHexDigits(RANDOM.nextInt());
    reader = server.createApplication("forged-reader-" + suffix);
    writer = server.createApplication("forged-writer-" + suffix);
    keyK = "k-" + suffix;
    kFirstVersion = vaultA.createRsaKey(keyK, 2048);
    vaultA.grantOnKey(reader, keyK, SERVICE_ROLE);
    vaultA.grant(writer, SERVICE_ROLE);
    vaultB.grant(writer, SERVICE_ROLE);
    crypto = crypto(reader, kFirstVersion.versionless());
  }

  @AfterEach
  void closeAll() {
    opened.forEach(EnvelopeCrypto::close);
  }

  private EnvelopeCrypto crypto(VaultIdentity identity, KeyReference writeKey) {
    AzureKeyVaultProvider provider =
        LoopbackFixture.providerBuilder()
            .credential(LoopbackFixture.staticCredential(identity))
            .retryOptions(LoopbackFixture.NO_SDK_RETRIES)
            .clock(clock)
            .build();
    EnvelopeCrypto c =
        EnvelopeCrypto.builder()
            .provider(provider)
            .writeKey(writeKey)
            .keyPolicy(KeyPolicy.fhirService())
            .clock(clock)
            .sleeper(clock::advance)
            .build();
    opened.add(c);
    return c;
  }

  /** An envelope under {@code key}, made by the writer identity (which may use it). */
  private byte[] sealedBy(KeyReference key, byte[] data) {
    return crypto(writer, key).encrypt(data, AAD);
  }

  private static byte[] data(String text) {
    return text.getBytes(UTF_8);
  }

  /** The forged envelope fails alone; everything else about K goes on. */
  private void assertForgedEnvelopeFailsAlone(byte[] forged, LoopbackVault deniedIn) {
    byte[] cachedUnderK = crypto.encrypt(data("cached"), AAD);
    assertArrayEquals(data("cached"), crypto.decrypt(cachedUnderK, AAD));
    long cached = crypto.diagnostics().cachedDataKeys();
    byte[] uncachedUnderK = sealedBy(kFirstVersion.versionless(), data("uncached"));
    deniedIn.clearRequests();

    KeyAccessDeniedException denied =
        assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(forged, AAD));
    assertEquals(Reason.IDENTITY_NOT_AUTHORIZED, denied.reason());
    assertTrue(
        deniedIn.requests().stream()
            .anyMatch(r -> r.status() == 403 && "ForbiddenByRbac".equals(r.errorCode())
                && reader.name().equals(r.identity())),
        "Key Vault refused the reader with ForbiddenByRbac: " + deniedIn.requests());

    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
    assertEquals(LossCause.NONE, crypto.keyAccess().status().cause());
    assertEquals(cached, crypto.diagnostics().cachedDataKeys(), "no data key was purged");
    assertArrayEquals(data("cached"), crypto.decrypt(cachedUnderK, AAD));
    assertArrayEquals(data("uncached"), crypto.decrypt(uncachedUnderK, AAD));
    assertArrayEquals(data("write"), crypto.decrypt(crypto.encrypt(data("write"), AAD), AAD));

    // The guard's next probes (of K) find nothing wrong either.
    clock.advance(Duration.ofSeconds(61));
    assertThrows(KeyAccessDeniedException.class, () -> crypto.decrypt(forged, AAD));
    clock.advance(Duration.ofSeconds(61));
    assertArrayEquals(data("cached"), crypto.decrypt(cachedUnderK, AAD));
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
  }

  @Test
  void decrypt_envelopeNamingAKeyInAnotherVault_failsThatRequestOnly() {
    KeyReference elsewhere = vaultB.createRsaKey("forged-" + keyK, 2048);
    assertForgedEnvelopeFailsAlone(sealedBy(elsewhere, data("forged")), vaultB);
  }

  @Test
  void decrypt_envelopeNamingAVersionOfAnotherKeyWithoutRoleAssignment_failsThatRequestOnly() {
    KeyReference sibling = vaultA.createRsaKey("sibling-" + keyK, 2048);
    assertForgedEnvelopeFailsAlone(sealedBy(sibling, data("forged")), vaultA);
  }

  @Test
  void rewrapAll_listWithForgedItems_reportsThemAndRewrapsTheOthers() {
    KeyReference elsewhere = vaultB.createRsaKey("forged-" + keyK, 2048);
    KeyReference sibling = vaultA.createRsaKey("sibling-" + keyK, 2048);
    Map<String, byte[]> store = new LinkedHashMap<>();
    store.put("first", sealedBy(kFirstVersion, data("first")));
    store.put("forged-other-vault", sealedBy(elsewhere, data("forged")));
    store.put("second", sealedBy(kFirstVersion, data("second")));
    store.put("forged-sibling", sealedBy(sibling, data("forged")));
    store.put("third", sealedBy(kFirstVersion, data("third")));
    Map<String, byte[]> before = new LinkedHashMap<>(store);
    KeyReference secondVersion = vaultA.rotateKey(keyK);
    // Let the reader pick up the rotation (its next probe), so that rewrapping has work to do.
    clock.advance(Duration.ofSeconds(61));
    assertArrayEquals(data("write"), crypto.decrypt(crypto.encrypt(data("write"), AAD), AAD));
    List<RewrapItem> items = new ArrayList<>();
    for (String id : store.keySet()) {
      items.add(RewrapItem.ofBytes(id, () -> store.get(id), bytes -> store.put(id, bytes)));
    }

    RewrapReport report = crypto.rewrapAll(items, (id, outcome, done) -> { });

    assertEquals(secondVersion, report.target());
    assertEquals(5, report.total());
    assertEquals(3, report.rewrapped(), "every envelope under K moved: " + report);
    assertEquals(2, report.failed(), report.toString());
    assertEquals(
        Set.of("forged-other-vault", "forged-sibling"),
        Set.copyOf(report.failures().stream().map(RewrapReport.Failure::id).toList()));
    assertTrue(
        report.failures().stream().allMatch(f -> f.error().startsWith("KeyAccessDeniedException")),
        report.failures().toString());
    assertArrayEquals(before.get("forged-other-vault"), store.get("forged-other-vault"), "left unchanged");
    for (String id : List.of("first", "second", "third")) {
      assertEquals(secondVersion.toString(), EnvelopeInfo.of(store.get(id)).keyReference().toString());
      assertArrayEquals(data(id), crypto.decrypt(store.get(id), AAD));
    }
    assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
  }

  @Test
  void configuredKeyDenied_roleAssignmentRemoved_tripsTheGuard() {
    byte[] envelope = crypto.encrypt(data("cached"), AAD);
    assertArrayEquals(data("cached"), crypto.decrypt(envelope, AAD));
    vaultA.revokeOnKey(reader, keyK);
    clock.advance(Duration.ofSeconds(61));

    KeyAccessSuspendedException e =
        assertThrows(KeyAccessSuspendedException.class, () -> crypto.decrypt(envelope, AAD));
    assertFalse(e.refreshRequired());
    assertEquals(KeyAccessState.UNAVAILABLE, crypto.keyAccess().status().state());
    assertEquals(LossCause.IDENTITY_NOT_AUTHORIZED, crypto.keyAccess().status().cause());
    assertEquals(0, crypto.diagnostics().cachedDataKeys());
    assertTrue(
        vaultA.requests().stream()
            .filter(r -> reader.name().equals(r.identity()))
            .map(RecordedRequest::errorCode)
            .anyMatch("ForbiddenByRbac"::equals),
        "K itself was refused with ForbiddenByRbac");
  }
}
