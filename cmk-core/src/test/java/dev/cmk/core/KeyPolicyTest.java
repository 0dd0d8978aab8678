package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyPolicyViolationException.Violation;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.TokenProtection;
import dev.cmk.api.VaultProtection;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Key policy presets: every broken rule is named with the value found; nothing is written. */
class KeyPolicyTest {
  private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  private static final Set<KeyOperation> WRAP_UNWRAP =
      Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY);
  private static final VaultProtection PROTECTED =
      VaultProtection.fromAzureRecoveryLevel("Recoverable", 90);

  private static KeyDescription key(String ref, KeyType type, int bits, boolean enabled,
      Instant nbf, Instant exp, Set<KeyOperation> ops, VaultProtection vault) {
    return new KeyDescription(KeyReference.parse(ref), type, bits, enabled, nbf, exp, ops, vault,
        TokenProtection.none());
  }

  private static KeyDescription valid(KeyType type, int bits) {
    return key("https://contoso.vault.azure.net/keys/fhir-key/0123456789abcdef0123456789abcdef",
        type, bits, true, null, null, WRAP_UNWRAP, PROTECTED);
  }

  private static Set<String> rules(List<Violation> v) {
    return v.stream().map(Violation::rule).collect(Collectors.toSet());
  }

  @Test
  void presets_validRsaKeys_accepted() {
    for (int bits : new int[] {2048, 3072}) {
      assertEquals(List.of(), KeyPolicy.dicomService().check(valid(KeyType.RSA, bits), NOW));
      assertEquals(List.of(), KeyPolicy.dicomService().check(valid(KeyType.RSA_HSM, bits), NOW));
      assertEquals(List.of(), KeyPolicy.fhirService().check(valid(KeyType.RSA, bits), NOW));
    }
  }

  @Test
  void rsa1024_rejectedNamingSize() {
    List<Violation> v = KeyPolicy.dicomService().check(valid(KeyType.RSA, 1024), NOW);
    assertEquals(Set.of(KeyPolicy.RULE_KEY_SIZE), rules(v));
    assertEquals("key size 1024 not in [2048, 3072]", v.get(0).message());
  }

  @Test
  void ecKey_rejectedNamingType() {
    List<Violation> v = KeyPolicy.dicomService().check(valid(KeyType.EC, 256), NOW);
    assertTrue(rules(v).contains(KeyPolicy.RULE_KEY_TYPE));
    assertTrue(v.get(0).message().contains("EC"), v.get(0).message());
  }

  @Test
  void rsa4096_rejectedByPresetAcceptedByCustomPolicy() {
    assertEquals(Set.of(KeyPolicy.RULE_KEY_SIZE),
        rules(KeyPolicy.dicomService().check(valid(KeyType.RSA, 4096), NOW)));
    KeyPolicy custom = KeyPolicy.builder().keySizes(2048, 3072, 4096).build();
    assertEquals(List.of(), custom.check(valid(KeyType.RSA, 4096), NOW));
  }

  @Test
  void hsmOnlyPolicy_rejectsSoftwareKey() {
    KeyPolicy hsmOnly = KeyPolicy.builder().keyTypes(KeyType.RSA_HSM).build();
    assertEquals(Set.of(KeyPolicy.RULE_KEY_TYPE), rules(hsmOnly.check(valid(KeyType.RSA, 2048), NOW)));
  }

  @ParameterizedTest
  @ValueSource(ints = {2048, 3072})
  void fhirPreset_rsaHsm_accepted_asManagedHsmKeysAre(int bits) {
    assertEquals(List.of(), KeyPolicy.fhirService().check(valid(KeyType.RSA_HSM, bits), NOW));
    assertEquals(List.of(), KeyPolicy.fhirService().check(valid(KeyType.RSA, bits), NOW));
  }

  @Test
  void unversionedKey_rejected() {
    KeyDescription d = key("local:no-versions", KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP,
        PROTECTED);
    assertEquals(Set.of(KeyPolicy.RULE_VERSIONED), rules(KeyPolicy.dicomService().check(d, NOW)));
  }

  @Test
  void vaultWithoutPurgeProtection_rejected() {
    KeyDescription d = key("local:k/1", KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP,
        VaultProtection.fromAzureRecoveryLevel("Recoverable+Purgeable", 90));
    List<Violation> v = KeyPolicy.dicomService().check(d, NOW);
    assertEquals(Set.of(KeyPolicy.RULE_PURGE_PROTECTION), rules(v));
    assertTrue(v.get(0).message().contains("Recoverable+Purgeable"), v.get(0).message());
  }

  @Test
  void softDeleteOff_rejectedNamingBothRules() {
    KeyDescription d = key("local:k/1", KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP,
        VaultProtection.fromAzureRecoveryLevel("Purgeable", null));
    assertEquals(Set.of(KeyPolicy.RULE_SOFT_DELETE, KeyPolicy.RULE_PURGE_PROTECTION),
        rules(KeyPolicy.dicomService().check(d, NOW)));
  }

  @Test
  void disabledKey_rejected() {
    KeyDescription d = key("local:k/1", KeyType.RSA, 2048, false, null, null, WRAP_UNWRAP, PROTECTED);
    assertEquals(Set.of(KeyPolicy.RULE_ENABLED), rules(KeyPolicy.dicomService().check(d, NOW)));
  }

  @Test
  void expiredAndNotYetValidKeys_rejected() {
    KeyDescription expired = key("local:k/1", KeyType.RSA, 2048, true, null,
        NOW.minusSeconds(1), WRAP_UNWRAP, PROTECTED);
    KeyDescription early = key("local:k/1", KeyType.RSA, 2048, true, NOW.plusSeconds(60), null,
        WRAP_UNWRAP, PROTECTED);
    List<Violation> v = KeyPolicy.dicomService().check(expired, NOW);
    assertEquals(Set.of(KeyPolicy.RULE_VALIDITY), rules(v));
    assertTrue(v.get(0).message().startsWith("key expired at"), v.get(0).message());
    assertEquals(Set.of(KeyPolicy.RULE_VALIDITY), rules(KeyPolicy.dicomService().check(early, NOW)));
  }

  @Test
  void missingUnwrapOperation_rejected() {
    KeyDescription d = key("local:k/1", KeyType.RSA, 2048, true, null, null,
        Set.of(KeyOperation.WRAP_KEY), PROTECTED);
    List<Violation> v = KeyPolicy.dicomService().check(d, NOW);
    assertEquals(Set.of(KeyPolicy.RULE_OPERATIONS), rules(v));
    assertEquals("key operations missing [unwrapKey]", v.get(0).message());
  }

  @Test
  void fhirPreset_vaultPlusKeyName95Characters_rejected94Accepted() {
    String vault = "v" + "a".repeat(22) + "z"; // 24, the longest vault name
    String key71 = "k".repeat(71);
    String key70 = "k".repeat(70);
    String version = "/0123456789abcdef0123456789abcdef";
    KeyDescription tooLong = key("https://" + vault + ".vault.azure.net/keys/" + key71 + version,
        KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP, PROTECTED);
    KeyDescription ok = key("https://" + vault + ".vault.azure.net/keys/" + key70 + version,
        KeyType.RSA, 2048, true, null, null, WRAP_UNWRAP, PROTECTED);
    List<Violation> v = KeyPolicy.fhirService().check(tooLong, NOW);
    assertEquals(Set.of(KeyPolicy.RULE_NAME_LENGTH), rules(v));
    assertTrue(v.get(0).message().contains("95"), v.get(0).message());
    assertEquals(List.of(), KeyPolicy.fhirService().check(ok, NOW));
    assertEquals(List.of(), KeyPolicy.dicomService().check(tooLong, NOW));
  }

  @Test
  void severalBrokenRules_allListedInOneException() {
    KeyDescription d = key("local:k/1", KeyType.RSA, 1024, true, null, null, WRAP_UNWRAP,
        VaultProtection.fromAzureRecoveryLevel("Recoverable+Purgeable", 7));
    KeyPolicyViolationException e = assertThrows(KeyPolicyViolationException.class,
        () -> KeyPolicy.dicomService().enforce(d, NOW));
    assertEquals(2, e.violations().size());
    assertTrue(e.getMessage().contains("key size 1024 not in [2048, 3072]; vault purge protection disabled"),
        e.getMessage());
  }

  @Test
  void builder_settingTwice_rejected() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> KeyPolicy.builder().keySizes(2048).keySizes(3072));
    assertEquals("keySizes was already set", e.getMessage());
    e = assertThrows(IllegalStateException.class,
        () -> KeyPolicy.builder().name("a").name("a"));
    assertEquals("name was already set", e.getMessage());
    e = assertThrows(IllegalStateException.class,
        () -> KeyPolicy.builder().allowUnversionedKeys().allowUnversionedKeys());
    assertEquals("allowUnversionedKeys was already set", e.getMessage());
    // distinct settings, each once, still combine
    KeyPolicy p = KeyPolicy.builder().name("x").keyTypes(KeyType.RSA_HSM).keySizes(3072)
        .minRetentionDays(7).maxVaultAndKeyNameLength(50).requireTokenKeyNotDestroyable()
        .allowKeysWithoutDeletionProtection().allowUnversionedKeys().build();
    assertEquals("x", p.name());
  }

  @Test
  void builder_weakSizesAndNonRsaTypes_refused() {
    assertThrows(IllegalArgumentException.class, () -> KeyPolicy.builder().keySizes(1024));
    assertThrows(IllegalArgumentException.class, () -> KeyPolicy.builder().keyTypes(KeyType.EC));
  }

  @Test
  void configuringAViolatingKey_failsBeforeAnythingIsWritten() {
    InMemoryKeyProvider p = InMemoryKeyProvider.builder().build();
    FaultInjectingProvider counted = FaultInjectingProvider.wrapping(p);
    KeyReference weak = p.manager().createKey("weak", 1024);
    KeyPolicyViolationException e = assertThrows(KeyPolicyViolationException.class,
        () -> EnvelopeCrypto.builder().provider(counted).writeKey(weak).build());
    assertEquals(Set.of(KeyPolicy.RULE_KEY_SIZE), rules(e.violations()));
    assertEquals(0, counted.wrapCount(), "nothing was wrapped");

    InMemoryKeyProvider unprotected = InMemoryKeyProvider.builder()
        .vaultProtection(VaultProtection.fromAzureRecoveryLevel("Recoverable+Purgeable", 90)).build();
    KeyReference k = unprotected.manager().createKey("unprotected", 2048);
    assertThrows(KeyPolicyViolationException.class,
        () -> EnvelopeCrypto.builder().provider(unprotected).writeKey(k).build());
  }

  @Test
  void configuringADisabledOrExpiredKey_refusesWritesAndStoresNothing() throws Exception {
    ManualClock clock = ManualClock.create();
    InMemoryKeyProvider p = InMemoryKeyProvider.builder().clock(clock).build();
    KeyReference disabled = p.manager().createKey("disabled", 2048);
    p.manager().setEnabled(disabled, false);
    KeyReference expired = p.manager().createKey("expired", 2048);
    p.manager().setExpiry(expired, clock.instant().minus(Duration.ofDays(1)));
    for (KeyReference k : List.of(disabled, expired)) {
      EnvelopeCrypto c = EnvelopeCrypto.builder().provider(p).writeKey(k).clock(clock)
          .sleeper(clock::advance).build();
      KeyAccessStatus status = c.keyAccess().status();
      assertEquals(KeyAccessState.UNAVAILABLE, status.state());
      assertTrue(status.lastError().contains(k == disabled ? "key is disabled" : "key expired"),
          status.lastError());
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      assertThrows(KeyAccessSuspendedException.class, () -> c.encryptingStream(sink, new byte[0]));
      assertThrows(KeyAccessSuspendedException.class, () -> c.encrypt(new byte[1], new byte[0]));
      assertEquals(0, sink.size(), "nothing stored");
    }
  }

  @Test
  void rules_listWhatEachPresetChecks() {
    assertEquals(List.of(KeyPolicy.RULE_KEY_TYPE, KeyPolicy.RULE_KEY_SIZE, KeyPolicy.RULE_VERSIONED,
        KeyPolicy.RULE_SOFT_DELETE, KeyPolicy.RULE_PURGE_PROTECTION, KeyPolicy.RULE_ENABLED,
        KeyPolicy.RULE_VALIDITY, KeyPolicy.RULE_OPERATIONS), KeyPolicy.dicomService().rules());
    assertTrue(KeyPolicy.fhirService().rules().contains(KeyPolicy.RULE_NAME_LENGTH));
    assertTrue(!KeyPolicy.builder().allowKeysWithoutDeletionProtection().build().rules()
        .contains(KeyPolicy.RULE_PURGE_PROTECTION));
  }

  // ------------------------------------------------------------------ PKCS#11 keys

  private static KeyDescription tokenKey(KeyType type, Set<TokenProtection.Property> attested) {
    return new KeyDescription(KeyReference.parse("pkcs11:token=cmk;object=patients;id=%01%02"),
        type, 2048, true, null, null, WRAP_UNWRAP, VaultProtection.none(),
        new TokenProtection(attested, Set.of()));
  }

  private static final Set<TokenProtection.Property> GENERATED_IN_TOKEN = Set.of(
      TokenProtection.Property.PERSISTENT, TokenProtection.Property.SENSITIVE,
      TokenProtection.Property.ALWAYS_SENSITIVE, TokenProtection.Property.NOT_EXTRACTABLE,
      TokenProtection.Property.NEVER_EXTRACTABLE);

  @Test
  void presets_tokenKeyGeneratedInTheToken_accepted_vaultRulesDoNotApplyToTokens() {
    assertEquals(List.of(), KeyPolicy.fhirService().check(tokenKey(KeyType.RSA_HSM,
        GENERATED_IN_TOKEN), NOW));
    assertEquals(List.of(), KeyPolicy.dicomService().check(tokenKey(KeyType.RSA_HSM,
        GENERATED_IN_TOKEN), NOW));
  }

  @Test
  void presets_tokenKeyExtractableOrNotSensitiveOrSessionObject_refusedNamingEachRule() {
    assertEquals(Set.of(KeyPolicy.RULE_TOKEN_PERSISTENT, KeyPolicy.RULE_TOKEN_SENSITIVE,
            KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE),
        rules(KeyPolicy.dicomService().check(tokenKey(KeyType.RSA, Set.of()), NOW)));
    assertEquals(Set.of(KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE),
        rules(KeyPolicy.fhirService().check(tokenKey(KeyType.RSA, Set.of(
            TokenProtection.Property.PERSISTENT, TokenProtection.Property.SENSITIVE)), NOW)));
  }

  @Test
  void tokenRules_waivedWithDeletionProtection_notDestroyableOnlyWhenRequired() {
    KeyPolicy waived = KeyPolicy.builder().allowKeysWithoutDeletionProtection().build();
    assertEquals(List.of(), waived.check(tokenKey(KeyType.RSA, Set.of()), NOW));
    KeyPolicy strict = KeyPolicy.builder().requireTokenKeyNotDestroyable().build();
    assertEquals(Set.of(KeyPolicy.RULE_TOKEN_NOT_DESTROYABLE),
        rules(strict.check(tokenKey(KeyType.RSA_HSM, GENERATED_IN_TOKEN), NOW)));
    KeyReference token = KeyReference.parse("pkcs11:token=cmk;object=patients;id=%01%02");
    assertEquals(List.of(KeyPolicy.RULE_KEY_TYPE, KeyPolicy.RULE_KEY_SIZE, KeyPolicy.RULE_VERSIONED,
        KeyPolicy.RULE_TOKEN_PERSISTENT, KeyPolicy.RULE_TOKEN_SENSITIVE,
        KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE, KeyPolicy.RULE_TOKEN_NOT_DESTROYABLE,
        KeyPolicy.RULE_ENABLED, KeyPolicy.RULE_VALIDITY, KeyPolicy.RULE_OPERATIONS),
        strict.rulesFor(token));
    assertEquals(strict.rules(), strict.rulesFor(valid(KeyType.RSA, 2048).reference()));
  }

  @Test
  void vaultKey_tokenRulesNeverApply() {
    assertEquals(List.of(), KeyPolicy.builder().requireTokenKeyNotDestroyable().build()
        .check(valid(KeyType.RSA, 2048), NOW));
  }
}
