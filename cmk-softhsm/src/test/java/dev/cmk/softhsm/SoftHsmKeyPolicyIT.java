package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeCryptoBuilder;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.KeyPolicy;
import dev.cmk.softhsm.CmkOnToken.Written;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.Operation;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Key policies on a real SoftHSM2 key: a bare token has no soft delete and no purge protection
 * ({@code VaultProtection.none()}), so the Azure Health Data Services presets reject its keys,
 * naming those rules, before anything is wrapped; a policy that waives deletion protection by name
 * accepts them.
 */
class SoftHsmKeyPolicyIT {
  private static ManualClock clock;
  private static Pkcs11KeyProvider provider;
  private static KeyReference version;

  private FaultInjectingProvider counted;

  @BeforeAll
  static void setUp() {
    SoftHsm.TestToken token = SoftHsm.createToken("policy-it");
    clock = ManualClock.create();
    provider = token.provider().clock(clock).build();
    version = provider.manager().createKey("policy", 2048);
  }

  @AfterAll
  static void tearDown() {
    if (provider != null) {
      provider.close();
    }
  }

  @BeforeEach
  void countCalls() {
    counted = FaultInjectingProvider.wrapping(provider);
  }

  private EnvelopeCryptoBuilder builder() {
    return EnvelopeCrypto.builder()
        .provider(counted)
        .writeKey(version.versionless())
        .clock(clock)
        .sleeper(clock::advance);
  }

  private void assertRejected(EnvelopeCryptoBuilder builder, String... rules) {
    KeyPolicyViolationException e = assertThrows(KeyPolicyViolationException.class, builder::build);
    assertEquals(
        List.of(rules),
        e.violations().stream().map(KeyPolicyViolationException.Violation::rule)
            .collect(Collectors.toList()),
        e.getMessage());
    assertEquals(version, e.keyReference(), "the latest version was checked");
    assertEquals(0, counted.count(Operation.WRAP), "no data key was wrapped");
    assertEquals(0, counted.count(Operation.UNWRAP));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dicom", "fhir", "default"})
  void build_presets_acceptAKeyGeneratedInTheToken_byWhatTheTokenProves(String preset) {
    EnvelopeCryptoBuilder b = builder();
    if (!preset.equals("default")) {
      b.keyPolicy(preset.equals("dicom") ? KeyPolicy.dicomService() : KeyPolicy.fhirService());
    }
    try (EnvelopeCrypto crypto = b.build()) {
      assertEquals(KeyAccessState.AVAILABLE, crypto.keyAccess().status().state());
      Written.encrypt(crypto, "preset-" + preset, 1000).assertDecrypts(crypto);
    }
  }

  @Test
  void build_presets_tokenRulesStandWhereTheVaultRulesStand() {
    assertEquals(
        List.of(KeyPolicy.RULE_TOKEN_PERSISTENT, KeyPolicy.RULE_TOKEN_SENSITIVE,
            KeyPolicy.RULE_TOKEN_NOT_EXTRACTABLE),
        KeyPolicy.dicomService().rulesFor(version).stream()
            .filter(r -> r.startsWith("token-") || r.startsWith("vault-")).toList());
  }

  @Test
  void build_policyRequiringNotDestroyable_refusesASoftHsmKey_namingTheRule() {
    assertRejected(builder().keyPolicy(KeyPolicy.builder().requireTokenKeyNotDestroyable().build()),
        KeyPolicy.RULE_TOKEN_NOT_DESTROYABLE);
  }

  @Test
  void build_policyWaivingDeletionProtection_acceptsTokenKeyAndRoundTrips() {
    try (EnvelopeCrypto crypto = builder().keyPolicy(CmkOnToken.tokenPolicy()).build()) {
      KeyAccessStatus status = crypto.keyAccess().status();
      assertEquals(KeyAccessState.AVAILABLE, status.state());
      assertEquals(version.versionless(), status.configuredKey());
      assertEquals(version, status.currentVersion());

      Written w = Written.encrypt(crypto, "accepted", 4096);
      EnvelopeInfo info = EnvelopeInfo.of(w.envelope);
      assertEquals(Pkcs11KeyProvider.ID, info.providerId());
      assertEquals(version, info.keyReference());
      assertEquals(WrapAlgorithm.RSA_OAEP_256, info.wrapAlgorithm());
      assertEquals(256, info.wrappedKeyLength(), "one RSA-2048 block");
      crypto.diagnostics().purgeDataKeys();
      long unwraps = counted.count(Operation.UNWRAP);
      w.assertDecrypts(crypto);
      assertEquals(unwraps + 1, counted.count(Operation.UNWRAP), "unwrapped in the token");
    }
  }
}
