package dev.cmk.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.ClientOptions;
import dev.cmk.azure.internal.AzureKeyVaultProviderFactory;
import dev.cmk.testkit.ModuleDescriptors;
import dev.cmk.azure.internal.KeyVaultKeys;
import dev.cmk.api.KeyOperation;
import dev.cmk.api.KeyNotFoundException;
import dev.cmk.api.KeyReference;
import dev.cmk.api.KeyType;
import dev.cmk.api.SecretBytes;
import dev.cmk.api.WrapAlgorithm;
import dev.cmk.api.WrappedKey;
import dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
import dev.cmk.api.spi.ProviderDiscovery;
import java.lang.module.ModuleDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Builder rules, reference handling and mappings that need no Key Vault. */
class AzureKeyVaultProviderBuilderTest {
  private static final TokenCredential NO_TOKEN = request -> Mono.error(new IllegalStateException("unused"));
  private static final String VAULT = "https://contoso-cmk.vault.azure.net";

  @Test
  void build_withoutCredential_throwsIllegalState() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().addVault(VAULT).build());
    assertTrue(e.getMessage().contains("choose a credential"));
  }

  @Test
  void credential_chosenTwice_throwsIllegalState() {
    assertThrows(
        IllegalStateException.class,
        () -> AzureKeyVaultProvider.builder().systemAssignedManagedIdentity().userAssignedManagedIdentityClientId("c"));
    assertThrows(
        IllegalStateException.class,
        () -> AzureKeyVaultProvider.builder().credential(NO_TOKEN).defaultAzureCredential());
  }

  @Test
  void build_withoutVault_throwsIllegalState() {
    assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().credential(NO_TOKEN).build());
  }

  @Test
  void build_pipelineWithClientSettings_throwsIllegalState() {
    assertThrows(
        IllegalStateException.class,
        () ->
            AzureKeyVaultProvider.builder()
                .pipeline(new HttpPipelineBuilder().build())
                .credential(NO_TOKEN)
                .addVault(VAULT)
                .build());
    AzureKeyVaultProvider.builder().pipeline(new HttpPipelineBuilder().build()).addVault(VAULT).build().close();
  }

  @Test
  void sdkKnobs_nullTwiceOrBesideAPipeline_areRejected() {
    assertEquals("clientOptions", assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().clientOptions(null)).getMessage());
    assertEquals("httpLogOptions", assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().httpLogOptions(null)).getMessage());
    assertEquals("policy", assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().addPolicy(null)).getMessage());
    assertEquals("retryOptions", assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().retryOptions(null)).getMessage());
    assertEquals("httpClient", assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().httpClient(null)).getMessage());
    ClientOptions options = new ClientOptions();
    assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().clientOptions(options).clientOptions(options));
    HttpLogOptions log = new HttpLogOptions();
    assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().httpLogOptions(log).httpLogOptions(log));
    RetryOptions retry = new RetryOptions(new FixedDelayOptions(1, Duration.ofMillis(1)));
    assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().retryOptions(retry).retryOptions(retry));
    HttpPipelinePolicy policy = (context, next) -> next.process();
    AzureKeyVaultProvider.builder().addPolicy(policy).addPolicy(policy).credential(NO_TOKEN).addVault(VAULT).build().close();
    for (java.util.function.UnaryOperator<AzureKeyVaultProviderBuilder> knob :
        List.<java.util.function.UnaryOperator<AzureKeyVaultProviderBuilder>>of(
            b -> b.clientOptions(options), b -> b.httpLogOptions(log), b -> b.addPolicy(policy), b -> b.retryOptions(retry))) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> knob.apply(AzureKeyVaultProvider.builder().pipeline(new HttpPipelineBuilder().build()).addVault(VAULT)).build());
      assertTrue(e.getMessage().contains("a pipeline replaces"), e.getMessage());
    }
  }

  @Test
  void setters_nullOrTwice_areRejectedWithParameterName() {
    NullPointerException npe =
        assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().credential(null));
    assertEquals("credential", npe.getMessage());
    assertEquals("vaultUrl", assertThrows(NullPointerException.class, () -> AzureKeyVaultProvider.builder().addVault(null)).getMessage());
    assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().enabledStateTtl(Duration.ZERO).enabledStateTtl(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> AzureKeyVaultProvider.builder().enabledStateTtl(Duration.ofSeconds(-1)));
    assertThrows(IllegalStateException.class, () -> AzureKeyVaultProvider.builder().disableRateBudget().rateBudget(RateBudget.defaultBudget()));
    assertThrows(IllegalArgumentException.class, () -> AzureKeyVaultProvider.builder().userAssignedManagedIdentityResourceId("not-an-arm-id"));
  }

  @Test
  void addVault_acceptsVaultOrKeyUrls_rejectsOtherHosts() {
    assertThrows(IllegalArgumentException.class, () -> AzureKeyVaultProvider.builder().addVault("https://example.com"));
    assertThrows(IllegalArgumentException.class, () -> AzureKeyVaultProvider.builder().addVault("http://contoso-cmk.vault.azure.net"));
    try (AzureKeyVaultProvider p =
        AzureKeyVaultProvider.builder()
            .credential(NO_TOKEN)
            .addVault(VAULT + "/keys/fhir/0123456789abcdef0123456789abcdef")
            .addVault("https://contoso-hsm.managedhsm.azure.net/")
            .build()) {
      assertTrue(p.serves(KeyReference.parse(VAULT + "/keys/fhir")));
      assertTrue(p.serves(KeyReference.parse("https://CONTOSO-HSM.managedhsm.azure.net/keys/k")));
      assertFalse(p.serves(KeyReference.parse("https://other.vault.azure.net/keys/fhir")));
      assertFalse(p.serves(KeyReference.parse(VAULT + ":8443/keys/fhir")), "a port is part of the vault");
      assertFalse(p.serves(KeyReference.parse("local:fhir")));
      assertFalse(p.serves(KeyReference.parse("pkcs11:token=t;object=fhir")));
    }
  }

  @Test
  void allowAnyVault_servesEveryAzureReferenceOnly() {
    try (AzureKeyVaultProvider p = AzureKeyVaultProvider.builder().credential(NO_TOKEN).allowAnyVault().build()) {
      assertTrue(p.serves(KeyReference.parse("https://anything.vault.azure.cn/keys/k")));
      assertFalse(p.serves(KeyReference.parse("local:k")));
      assertEquals("AzureKeyVaultProvider[vaults=*]", p.toString());
    }
  }

  @Test
  void wrapAndUnwrap_programmingErrors_failBeforeAnyCall() {
    try (AzureKeyVaultProvider p = AzureKeyVaultProvider.builder().credential(NO_TOKEN).addVault(VAULT).build()) {
      KeyReference versionless = KeyReference.parse(VAULT + "/keys/k");
      assertThrows(IllegalArgumentException.class, () -> p.wrap(versionless, SecretBytes.copyOf(new byte[32])));
      assertThrows(IllegalArgumentException.class, () -> p.publicKey(versionless));
      WrappedKey foreign =
          new WrappedKey("pkcs11", versionless.withVersion("0123456789abcdef0123456789abcdef"), WrapAlgorithm.RSA_OAEP_256, new byte[256]);
      // Not served (ServedKeys): another provider's wrapped key is not found, never an IAE.
      KeyNotFoundException notOurs = assertThrows(KeyNotFoundException.class, () -> p.unwrap(foreign));
      assertTrue(notOurs.getMessage().contains("pkcs11"), notOurs.getMessage());
      assertEquals(AzureKeyVaultProvider.ID, p.id());
    }
  }

  @Test
  void keyType_mapsKeyVaultTypes_managedHsmKeysAreAlwaysHsm() {
    assertEquals(KeyType.RSA, KeyVaultKeys.keyType("RSA", false));
    assertEquals(KeyType.RSA_HSM, KeyVaultKeys.keyType("RSA-HSM", false));
    assertEquals(KeyType.RSA_HSM, KeyVaultKeys.keyType("RSA", true));
    assertEquals(KeyType.EC_HSM, KeyVaultKeys.keyType("EC", true));
    assertEquals(KeyType.OCT_HSM, KeyVaultKeys.keyType("oct-HSM", false));
    assertEquals(KeyType.OTHER, KeyVaultKeys.keyType("PQC", false));
    assertEquals(KeyType.OTHER, KeyVaultKeys.keyType(null, true));
  }

  @Test
  void keyOperation_mapsKeyVaultNames() {
    assertEquals(KeyOperation.WRAP_KEY, KeyVaultKeys.keyOperation("wrapKey"));
    assertEquals(KeyOperation.UNWRAP_KEY, KeyVaultKeys.keyOperation("unwrapKey"));
    assertEquals(KeyOperation.EXPORT, KeyVaultKeys.keyOperation("export"));
    assertNull(KeyVaultKeys.keyOperation("release"));
  }

  @Test
  void rateBudget_validatesAndDefaults() {
    assertEquals(new RateBudget(1000, Duration.ofSeconds(10), Duration.ofSeconds(5)), RateBudget.defaultBudget());
    assertEquals(Duration.ZERO, RateBudget.perTenSeconds(5).withMaxWait(Duration.ZERO).maxWait());
    assertThrows(IllegalArgumentException.class, () -> new RateBudget(0, Duration.ofSeconds(1), Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new RateBudget(1, Duration.ZERO, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new RateBudget(1, Duration.ofSeconds(1), Duration.ofSeconds(-1)));
  }

  @Test
  void factory_settings_buildProviderOrNameTheProblem() {
    AzureKeyVaultProviderFactory f = new AzureKeyVaultProviderFactory();
    try (var p = f.create(Map.of("vaults", VAULT, "credential", "system-assigned-managed-identity", "rate-budget-per-10s", "0"))) {
      assertTrue(p.serves(KeyReference.parse(VAULT + "/keys/k")));
    }
    f.create(Map.of("vaults", VAULT, "credential", "user-assigned-managed-identity", "managed-identity-client-id", "abc")).close();
    for (String anyVault : new String[] {"*", VAULT + ", *", "https://*.vault.azure.net"}) {
      IllegalArgumentException refused =
          assertThrows(
              IllegalArgumentException.class,
              () -> f.create(Map.of("vaults", anyVault, "credential", "system-assigned-managed-identity")));
      assertTrue(refused.getMessage().contains("'vaults'") && refused.getMessage().contains("vaults=* is refused"),
          refused.getMessage());
    }
    assertMessageNames("credential", () -> f.create(Map.of("vaults", VAULT)));
    assertMessageNames("credential", () -> f.create(Map.of("vaults", VAULT, "credential", "password")));
    assertMessageNames("managed-identity-client-id", () -> f.create(Map.of("vaults", VAULT, "credential", "user-assigned-managed-identity")));
    assertMessageNames("managed-identity-client-id", () -> f.create(Map.of("vaults", VAULT, "credential", "system-assigned-managed-identity", "managed-identity-client-id", "abc")));
    assertMessageNames("client-secret", () -> f.create(Map.of("vaults", VAULT, "credential", "default-azure-credential", "client-secret", "x")));
    assertMessageNames("enabled-state-ttl-seconds", () -> f.create(Map.of("vaults", VAULT, "credential", "default-azure-credential", "enabled-state-ttl-seconds", "-1")));
    assertMessageNames("rate-budget-per-10s", () -> f.create(Map.of("vaults", VAULT, "credential", "default-azure-credential", "rate-budget-per-10s", "ten")));
  }

  private static void assertMessageNames(String setting, org.junit.jupiter.api.function.Executable create) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, create);
    assertTrue(e.getMessage().contains(setting), e.getMessage());
  }

  @Test
  void discovery_findsTheFactoryById() {
    Map<String, KeyEncryptionKeyProviderFactory> found = ProviderDiscovery.discover(getClass().getClassLoader());
    assertTrue(found.get(AzureKeyVaultProvider.ID) instanceof AzureKeyVaultProviderFactory, found.toString());
  }

  @Test
  void moduleDescriptor_exportsOnlyThePublicPackage() {
    ModuleDescriptor d =
        ModuleDescriptors.assertExportsExactly(AzureKeyVaultProvider.class, "dev.cmk.azure", "dev.cmk.azure");
    assertTrue(d.provides().stream().anyMatch(p -> p.providers().contains(AzureKeyVaultProviderFactory.class.getName())));
  }
}
