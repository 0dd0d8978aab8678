package dev.cmk.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenCredential;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.testkit.keyvault.RecordedRequest;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code cmk.key-vault.credential} against the loopback Key Vault: managed identity through the
 * real {@code ManagedIdentityCredential} (MSAL finds the loopback App Service token endpoint in
 * {@code IDENTITY_ENDPOINT}, set by Failsafe), or the application's {@link TokenCredential} bean.
 * The assertions are on the identities the vault saw in the bearer tokens.
 */
class ManagedIdentityIT {
  private static KeyReference key;
  private static VaultIdentity system;

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(CmkAutoConfiguration.class))
      .withBean(KeyVaultProviderCustomizer.class, LoopbackVaultFixture::trustLoopback);

  @BeforeAll
  static void setUp() {
    system = LoopbackVaultFixture.server().systemAssignedIdentity();
    LoopbackVaultFixture.grant(system);
    key = LoopbackVaultFixture.newKey("spring-mi");
  }

  private static List<String> identitiesSeen() {
    return LoopbackVaultFixture.vault().requests().stream()
        .filter(RecordedRequest::authenticated)
        .map(RecordedRequest::identity)
        .distinct()
        .collect(Collectors.toList());
  }

  @Test
  void credentialAuto_noTokenCredentialBean_usesSystemAssignedManagedIdentity() {
    LoopbackVaultFixture.vault().clearRequests();
    runner.withPropertyValues("cmk.provider=key-vault", "cmk.key=" + key.versionless())
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(EnvelopeCrypto.class).keyAccess().status().currentVersion())
              .isEqualTo(key);
          assertThat(identitiesSeen()).containsExactly(system.name());
        });
  }

  @Test
  void credentialManagedIdentity_tokenCredentialBeanPresent_beanNotUsed() {
    VaultIdentity other = LoopbackVaultFixture.newIdentity("spring-other");
    LoopbackVaultFixture.vault().clearRequests();
    runner.withPropertyValues("cmk.provider=key-vault", "cmk.key=" + key.versionless(),
            "cmk.key-vault.credential=managed-identity")
        .withBean(TokenCredential.class, () -> LoopbackVaultFixture.credential(other))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(identitiesSeen()).containsExactly(system.name());
        });
  }

  @Test
  void credentialAuto_tokenCredentialBean_vaultSeesTheBeansIdentity() {
    VaultIdentity app = LoopbackVaultFixture.newIdentity("spring-bean");
    LoopbackVaultFixture.vault().clearRequests();
    runner.withPropertyValues("cmk.provider=key-vault", "cmk.key=" + key.versionless())
        .withBean(TokenCredential.class, () -> LoopbackVaultFixture.credential(app))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(identitiesSeen()).containsExactly(app.name());
        });
  }
}
