package dev.cmk.softhsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.KeyAccessDeniedException;
import dev.cmk.api.KeyDescription;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.TokenProtection.Property;
import dev.cmk.api.WrappedKey;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyPolicy;
import dev.cmk.softhsm.CmkOnToken.Written;
import dev.cmk.testkit.ManualClock;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys an HSM administrator made with their own tools, not with {@link Pkcs11KeyManager}: {@code
 * pkcs11-tool --keypairgen} (binary {@code CKA_ID}s, labels with spaces and {@code #}) and {@code
 * softhsm2-util --import}. They are found by their RFC 7512 references, wrap and unwrap, and are
 * described with what the token attests; an EC or RSA-1024 key is described as what it is, so a key
 * policy refuses it naming the rule, never "key not found on the token".
 */
class SoftHsmAdminKeysIT {
  private static final String RSA_LABEL = "HSM admin key #1";
  private static final String IMPORTED_LABEL = "imported_key 2";

  @TempDir static Path dir;

  private static SoftHsm.TestToken token;
  private static ManualClock clock;
  private static Pkcs11KeyProvider provider;

  @BeforeAll
  static void setUp() {
    token = SoftHsm.createToken("admin-it");
    AdminTools.keypairgen(token, "rsa:2048", "0102", RSA_LABEL);
    AdminTools.keypairgen(token, "rsa:2048", "01", "two-versions");
    AdminTools.keypairgen(token, "rsa:2048", "02", "two-versions");
    AdminTools.keypairgen(token, "EC:prime256v1", "ec01", "ec-key");
    AdminTools.keypairgen(token, "rsa:1024", "76303031", "small-key"); // CKA_ID "v001"
    AdminTools.importRsa(token, dir, "a1b2", IMPORTED_LABEL);
    clock = ManualClock.create();
    provider = token.provider().clock(clock).build();
  }

  @AfterAll
  static void tearDown() {
    if (provider != null) {
      provider.close();
    }
  }

  private static KeyReference ref(String text) {
    return KeyReference.parse("pkcs11:token=" + token.label() + ";" + text);
  }

  private static List<String> rules(KeyPolicy policy, KeyDescription d) {
    return policy.check(d, clock.instant()).stream()
        .map(KeyPolicyViolationException.Violation::rule)
        .collect(Collectors.toList());
  }

  @Test
  void describe_pkcs11ToolKeyWithBinaryIdAndLabel_isFoundAsRsaHsmWithTokenProtection() {
    KeyReference version = ref("object=HSM%20admin%20key%20%231;id=%01%02");
    KeyDescription d = provider.describe(version);
    assertEquals(version, d.reference());
    assertEquals("%01%02", d.version());
    assertEquals(RSA_LABEL, d.reference().name());
    assertEquals(KeyType.RSA_HSM, d.keyType(), "generated in the token, never extractable");
    assertEquals(2048, d.sizeBits());
    assertTrue(d.enabled());
    assertTrue(d.operations().containsAll(Set.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY)));
    assertTrue(
        d.tokenProtection()
            .attested()
            .containsAll(
                EnumSet.of(
                    Property.PERSISTENT,
                    Property.SENSITIVE,
                    Property.ALWAYS_SENSITIVE,
                    Property.NOT_EXTRACTABLE,
                    Property.NEVER_EXTRACTABLE)),
        d.tokenProtection().toString());
    assertFalse(d.tokenProtection().attests(Property.NOT_MODIFIABLE), "pkcs11-tool keys are modifiable");
    assertFalse(
        d.tokenProtection().holdsWhereReported(Property.NOT_DESTROYABLE),
        "SoftHSM2 reports CKA_DESTROYABLE true: " + d.tokenProtection());
    assertEquals(d, provider.describe(version.versionless()), "the only version is the latest");
  }

  @Test
  void wrapUnwrap_pkcs11ToolKeyWithBinaryId_roundTripsInTheToken() {
    KeyReference version = ref("object=HSM%20admin%20key%20%231;id=%01%02");
    byte[] dataKey = CmkOnToken.randomBytes(32);
    WrappedKey wrapped = provider.wrap(version, SecretBytes.copyOf(dataKey));
    assertEquals(version, wrapped.keyReference());
    assertEquals(256, wrapped.ciphertext().length);
    assertArrayEquals(dataKey, provider.unwrap(wrapped).copy());
    // The envelope's reference text parses back to the same binary CKA_ID.
    assertEquals(version, KeyReference.parse(wrapped.keyReference().toString()));
  }

  @Test
  void envelopeCrypto_pkcs11ToolKey_writesAndReadsUnderTheLatestBinaryIdVersion() {
    KeyReference key = ref("object=two-versions");
    try (EnvelopeCrypto crypto =
        CmkOnToken.guarded(provider, key, clock).build()) {
      assertEquals(ref("object=two-versions;id=%02"), crypto.keyAccess().status().currentVersion());
      Written w = Written.encrypt(crypto, "admin-key", 1000);
      crypto.diagnostics().purgeDataKeys();
      w.assertDecrypts(crypto);
    }
  }

  @Test
  void listVersions_twoPkcs11ToolVersions_bothListedOldestFirst() {
    List<KeyDescription> all = provider.manager().listVersions(ref("object=two-versions"));
    assertEquals(
        List.of("%01", "%02"), all.stream().map(KeyDescription::version).collect(Collectors.toList()));
  }

  @Test
  void describe_softhsmImportedKey_isRsaNotHsmAndWrapsAndUnwraps() {
    KeyReference version = ref("object=imported_key%202;id=%A1%B2");
    KeyDescription d = provider.describe(version);
    assertEquals(KeyType.RSA, d.keyType(), "its material was outside the token");
    assertTrue(d.tokenProtection().attests(Property.SENSITIVE), d.tokenProtection().toString());
    assertTrue(d.tokenProtection().attests(Property.NOT_EXTRACTABLE), d.tokenProtection().toString());
    assertFalse(d.tokenProtection().attests(Property.ALWAYS_SENSITIVE));
    assertFalse(d.tokenProtection().attests(Property.NEVER_EXTRACTABLE));
    byte[] dataKey = CmkOnToken.randomBytes(32);
    assertArrayEquals(
        dataKey, provider.unwrap(provider.wrap(version, SecretBytes.copyOf(dataKey))).copy());
  }

  @Test
  void describe_ecKey_isDescribedAsEcAndRefusedByThePolicyNamingTheKeyTypeRule() {
    KeyReference version = ref("object=ec-key;id=%EC%01");
    KeyDescription d = describedAs(version, KeyType.EC_HSM, 0);
    assertEquals(Set.of(), d.operations(), "an EC key cannot wrap cmk data keys");
    assertTrue(rules(KeyPolicy.dicomService(), d).contains(KeyPolicy.RULE_KEY_TYPE));
    assertTrue(rules(KeyPolicy.fhirService(), d).contains(KeyPolicy.RULE_KEY_TYPE));
    assertEquals(d, provider.describe(version.versionless()));

    KeyAccessDeniedException wrap =
        assertThrows(
            KeyAccessDeniedException.class,
            () -> provider.wrap(version, SecretBytes.copyOf(new byte[32])));
    assertEquals(KeyAccessDeniedException.Reason.OPERATION_NOT_PERMITTED, wrap.reason());
    assertTrue(wrap.getMessage().contains("EC-HSM key"), wrap.getMessage());
    assertEquals(java.util.Optional.empty(), provider.publicKey(version));
  }

  @Test
  void build_ecKeyUnderDicomPreset_refusedByKeyPolicyNotKeyNotFound() {
    KeyPolicyViolationException e = refusedByPolicy(ref("object=ec-key"), KeyPolicy.dicomService());
    assertTrue(
        e.violations().stream().anyMatch(v -> v.rule().equals(KeyPolicy.RULE_KEY_TYPE)),
        e.getMessage());
    assertTrue(e.getMessage().contains("key type EC-HSM"), e.getMessage());
  }

  @Test
  void describe_rsa1024Key_isDescribedAndRefusedByThePolicyNamingTheKeySizeRule() {
    KeyReference version = ref("object=small-key;id=v001");
    KeyDescription d = describedAs(version, KeyType.RSA_HSM, 1024);
    assertTrue(rules(KeyPolicy.dicomService(), d).contains(KeyPolicy.RULE_KEY_SIZE));
    KeyPolicyViolationException e =
        refusedByPolicy(version.versionless(), CmkOnToken.tokenPolicy());
    assertEquals(
        List.of(KeyPolicy.RULE_KEY_SIZE),
        e.violations().stream()
            .map(KeyPolicyViolationException.Violation::rule)
            .collect(Collectors.toList()),
        e.getMessage());
    assertTrue(e.getMessage().contains("key size 1024"), e.getMessage());
  }

  /** The description of {@code version}, checked to be of {@code type} and {@code sizeBits}. */
  private KeyDescription describedAs(KeyReference version, KeyType type, int sizeBits) {
    KeyDescription d = provider.describe(version);
    assertEquals(type, d.keyType());
    assertEquals(sizeBits, d.sizeBits());
    return d;
  }

  /** The refusal of an instance writing under {@code writeKey} with {@code policy}. */
  private KeyPolicyViolationException refusedByPolicy(KeyReference writeKey, KeyPolicy policy) {
    return assertThrows(
        KeyPolicyViolationException.class,
        () ->
            EnvelopeCrypto.builder()
                .provider(provider)
                .writeKey(writeKey)
                .clock(clock)
                .keyPolicy(policy)
                .build());
  }
}
