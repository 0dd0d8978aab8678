package dev.cmk.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenCredential;
import dev.cmk.api.KeyReference;
import dev.cmk.azure.AzureKeyVaultProvider;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyPolicy;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * The auto-configuration in a plain application context, with cmk-keystore as the provider (a real
 * PKCS#12 file in a temporary directory): what starts, what fails and how it says why, what the
 * application can plug in, and what is closed on shutdown.
 */
class CmkAutoConfigurationTest extends KeystoreContextBase {
  private static final byte[] AAD = "document:42".getBytes(UTF_8);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(CmkAutoConfiguration.class));

  @Test
  void keystoreProperties_contextStarts_envelopeCryptoRoundTripsBoundToAad() {
    runner.withPropertyValues(keys.properties()).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(EnvelopeCrypto.class);
      EnvelopeCrypto crypto = context.getBean(EnvelopeCrypto.class);
      byte[] envelope = crypto.encrypt("hello".getBytes(UTF_8), AAD);
      assertThat(crypto.decrypt(envelope, AAD)).isEqualTo("hello".getBytes(UTF_8));
      assertThat(crypto.keyAccess().status().state()).isEqualTo(KeyAccessState.AVAILABLE);
      assertThat(crypto.keyring().writeKey()).contains(keys.key.versionless());
      assertThat(crypto.keyAccess().status().currentVersion()).isEqualTo(keys.key);
    });
  }

  @Test
  void noProvider_contextFailsNamingCmkProvider() {
    runner.withPropertyValues("cmk.key=local:documents").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.provider is required")
            .hasMessageContaining("key-vault, managed-hsm, pkcs11, keystore"));
  }

  @Test
  void unknownProvider_contextFailsNamingTheProperty() {
    runner.withPropertyValues("cmk.provider=vault-of-dreams", "cmk.key=local:documents")
        .run(context -> assertThat(context).getFailure()
            .hasStackTraceContaining("cmk.provider")
            .hasStackTraceContaining("vault-of-dreams"));
  }

  @Test
  void noKey_contextFailsNamingCmkKeyWithAnExample() {
    runner.withPropertyValues("cmk.provider=key-vault").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.key is required")
            .hasMessageContaining("https://myvault.vault.azure.net/keys/mykey"));
  }

  @Test
  void malformedKey_contextFailsNamingCmkKey() {
    runner.withPropertyValues("cmk.provider=key-vault", "cmk.key=ftp://example/keys/k")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.key is not a valid key reference")
            .hasMessageContaining("scheme not recognised"));
  }

  @Test
  void keyOfAnotherKind_contextFailsNamingTheMismatch() {
    runner.withPropertyValues("cmk.provider=keystore",
            "cmk.key=https://myvault.vault.azure.net/keys/documents",
            "cmk.keystore.path=" + keys.keystore,
            "cmk.keystore.password-file=" + keys.passwordFile)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.key (https://myvault.vault.azure.net/keys/documents)"
                + " is not a keystore key"));
  }

  @Test
  void keystoreWithoutPasswordSource_contextFailsNamingBothProperties() {
    runner.withPropertyValues("cmk.provider=keystore", "cmk.key=local:documents",
            "cmk.keystore.path=" + keys.keystore)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("exactly one of cmk.keystore.password-file and"
                + " cmk.keystore.password-env is required (neither is set)"));
  }

  @Test
  void pkcs11WithoutToken_contextFailsNamingTheTokenProperties() {
    runner.withPropertyValues("cmk.provider=pkcs11", "cmk.key=pkcs11:token=t;object=k",
            "cmk.pkcs11.library=/usr/lib/softhsm/libsofthsm2.so", "cmk.pkcs11.pin-env=PIN")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("exactly one of cmk.pkcs11.token-label,"
                + " cmk.pkcs11.token-serial and cmk.pkcs11.slot-id is required"));
  }

  @Test
  void zeroGracePeriod_contextFailsNamingCmkGuard() {
    runner.withPropertyValues(keys.properties())
        .withPropertyValues("cmk.guard.grace-period=0s")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.guard: gracePeriod must be positive"));
  }

  @Test
  void keyVaultWithoutAzureModule_contextFailsNamingTheArtifact() {
    runner.withClassLoader(new FilteredClassLoader(AzureKeyVaultProvider.class))
        .withPropertyValues("cmk.provider=key-vault",
            "cmk.key=https://myvault.vault.azure.net/keys/documents")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.provider=key-vault needs the module"
                + " dev.cmk:cmk-azure-keyvault on the class path"));
  }

  @Test
  void tokenCredentialRequiredButNoBean_contextFailsNamingTheSetting() {
    runner.withPropertyValues("cmk.provider=key-vault",
            "cmk.key=https://myvault.vault.azure.net/keys/documents",
            "cmk.key-vault.credential=token-credential")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("cmk.key-vault.credential=token-credential, but the application"
                + " has no com.azure.core.credential.TokenCredential bean"));
  }

  @Test
  void twoTokenCredentialBeans_contextFailsAskingForPrimary() {
    runner.withPropertyValues("cmk.provider=key-vault",
            "cmk.key=https://myvault.vault.azure.net/keys/documents")
        .withBean("first", TokenCredential.class, () -> request -> reactor.core.publisher.Mono.empty())
        .withBean("second", TokenCredential.class, () -> request -> reactor.core.publisher.Mono.empty())
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("the application has 2 TokenCredential beans: mark one"
                + " @Primary, or set cmk.key-vault.credential=managed-identity"));
  }

  @Test
  void managedHsmProviderWithVaultKey_contextFailsNamingTheMismatch() {
    runner.withPropertyValues("cmk.provider=managed-hsm",
            "cmk.key=https://myvault.vault.azure.net/keys/documents")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("is not a managed-hsm key"));
  }

  @Test
  void wrongKeystorePassword_contextFailsWithoutPrintingThePassword() throws Exception {
    Path wrong = dir.resolve("wrong-password");
    java.nio.file.Files.writeString(wrong, "not-the-password-1234");
    runner.withPropertyValues("cmk.provider=keystore", "cmk.key=local:documents",
            "cmk.keystore.path=" + keys.keystore, "cmk.keystore.password-file=" + wrong)
        .run(context -> {
          assertThat(context).getFailure().hasStackTraceContaining("wrong password");
          assertThat(context).getFailure().satisfies(f ->
              assertThat(stackTrace(f)).doesNotContain("not-the-password-1234"));
        });
  }

  @Test
  void cmkDisabled_noBeansAndNoPropertiesRequired() {
    runner.withPropertyValues("cmk.enabled=false").run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(EnvelopeCrypto.class);
      assertThat(context).doesNotHaveBean(CmkProbeScheduler.class);
    });
  }

  @Test
  void applicationDefinesEnvelopeCrypto_starterBacksOffWithoutProperties() {
    runner.withUserConfiguration(OwnCrypto.class).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(EnvelopeCrypto.class);
      assertThat(context).doesNotHaveBean(CmkProperties.class);
      assertThat(context.getBean(EnvelopeCrypto.class)).isSameAs(OwnCrypto.crypto);
    });
  }

  @Test
  void customizers_appliedInOrderBeforeBuild() {
    runner.withPropertyValues(keys.properties())
        .withUserConfiguration(Customizers.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(Customizers.class).calls).containsExactly("first", "second");
          assertThat(context.getBean(EnvelopeCrypto.class).diagnostics().segmentSize())
              .isEqualTo(4096);
        });
  }

  @Test
  void customizerSettingWhatTheStarterSet_contextFailsWithTheBuildersMessage() {
    runner.withPropertyValues(keys.properties())
        .withBean(EnvelopeCryptoBuilderCustomizer.class,
            () -> b -> b.keyPolicy(KeyPolicy.dicomService()))
        .run(context -> assertThat(context).getFailure().rootCause()
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("keyPolicy was already set"));
  }

  @Test
  void clockBean_drivesTheGuard() {
    ManualClock clock = ManualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
    runner.withPropertyValues(keys.properties())
        .withBean(Clock.class, () -> clock)
        .run(context -> {
          EnvelopeCrypto crypto = context.getBean(EnvelopeCrypto.class);
          assertThat(crypto.keyAccess().status().lastConfirmed())
              .isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
        });
  }

  @Test
  void decryptOnlyKeys_listedInTheKeyring() {
    KeyReference old = keys.manager().createKey("old-documents", 2048);
    runner.withPropertyValues(keys.properties())
        .withPropertyValues("cmk.decrypt-only-keys[0]=" + old.versionless())
        .run(context -> assertThat(context.getBean(EnvelopeCrypto.class).keyring()
            .decryptOnlyKeys()).contains(old.versionless()));
  }

  @Test
  void decryptOnlyInstance_startsWithoutWriteKey() {
    KeyReference old = keys.key;
    byte[] envelope;
    try (EnvelopeCrypto writer = EnvelopeCrypto.builder().provider(keys.provider)
        .writeKey(old.versionless()).keyPolicy(KeyPolicy.fhirService()).build()) {
      envelope = writer.encrypt("old".getBytes(UTF_8), AAD);
    }
    runner.withPropertyValues("cmk.provider=keystore",
            "cmk.decrypt-only-keys=" + old.versionless(),
            "cmk.keystore.path=" + keys.keystore,
            "cmk.keystore.password-file=" + keys.passwordFile)
        .run(context -> {
          EnvelopeCrypto crypto = context.getBean(EnvelopeCrypto.class);
          assertThat(crypto.keyring().writeKey()).isEmpty();
          assertThat(crypto.decrypt(envelope, AAD)).isEqualTo("old".getBytes(UTF_8));
        });
  }

  @Test
  void contextClosed_cachedDataKeysDestroyedAndProbeSchedulerStopped() {
    CmkProbeScheduler[] scheduler = new CmkProbeScheduler[1];
    EnvelopeCrypto[] crypto = new EnvelopeCrypto[1];
    runner.withPropertyValues(keys.properties()).run(context -> {
      scheduler[0] = context.getBean(CmkProbeScheduler.class);
      crypto[0] = context.getBean(EnvelopeCrypto.class);
      crypto[0].decrypt(crypto[0].encrypt("x".getBytes(UTF_8), AAD), AAD);
      assertThat(crypto[0].diagnostics().cachedDataKeys()).isPositive();
      assertThat(scheduler[0].isShutdown()).isFalse();
    });
    assertThat(crypto[0].diagnostics().cachedDataKeys()).isZero();
    assertThat(scheduler[0].isShutdown()).isTrue();
  }

  @Test
  void applicationDefinesEnvelopeCrypto_healthIndicatorAndEndpointStillReportIt() {
    runner.withConfiguration(AutoConfigurations.of(CmkActuatorAutoConfiguration.class))
        .withUserConfiguration(OwnCrypto.class)
        .withPropertyValues("management.endpoints.web.exposure.include=cmk")
        .run(context -> {
          assertThat(context).hasSingleBean(CmkHealthIndicator.class);
          assertThat(context.getBean(CmkHealthIndicator.class).health().getStatus())
              .isEqualTo(org.springframework.boot.health.contributor.Status.UP);
          assertThat(context).hasSingleBean(CmkEndpoint.class);
        });
  }

  @Test
  void healthIndicatorDisabledByProperty_noIndicator() {
    runner.withConfiguration(AutoConfigurations.of(CmkActuatorAutoConfiguration.class))
        .withPropertyValues(keys.properties())
        .withPropertyValues("management.health.cmk.enabled=false")
        .run(context -> {
          assertThat(context).hasSingleBean(EnvelopeCrypto.class);
          assertThat(context).doesNotHaveBean(CmkHealthIndicator.class);
        });
  }

  @Test
  void refreshOnDecryptOnlyInstance_answersNotRefreshedWithTheReason() {
    runner.withPropertyValues("cmk.provider=keystore",
            "cmk.decrypt-only-keys=" + keys.key.versionless(),
            "cmk.keystore.path=" + keys.keystore,
            "cmk.keystore.password-file=" + keys.passwordFile)
        .run(context -> {
          java.util.Map<String, Object> answer =
              new CmkEndpoint(context.getBean(EnvelopeCrypto.class)).refresh();
          assertThat(answer).containsEntry("refreshed", false)
              .containsEntry("state", "AVAILABLE");
          assertThat((String) answer.get("error")).contains("nothing to refresh");
        });
  }

  private static String stackTrace(Throwable t) {
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnCrypto {
    static final EnvelopeCrypto crypto = EnvelopeCrypto.builder()
        .provider(InMemoryKeyProvider.create())
        .build();

    @Bean
    EnvelopeCrypto envelopeCrypto() {
      return crypto;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Bean
    @Order(2)
    EnvelopeCryptoBuilderCustomizer second() {
      return b -> calls.add("second");
    }

    @Bean
    @Order(1)
    EnvelopeCryptoBuilderCustomizer first() {
      return b -> {
        calls.add("first");
        b.segmentSize(4096);
      };
    }
  }
}
