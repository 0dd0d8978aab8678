package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.internal.SettingsKeyConfiguration;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.KeyPermission;
import dev.cmk.testkit.keyvault.LoopbackKeyVault;
import dev.cmk.testkit.keyvault.LoopbackVault;
import dev.cmk.testkit.keyvault.VaultIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The customer moves the service's key to another vault ("set a new encryption key from a
 * different storage location"): the key settings' URL changes and {@code POST /$cmk-refresh}
 * applies it. Every resource version written under the old vault's key stays readable (through
 * the provider built for the old settings), new versions are written under the new vault's key.
 * Real Azure SDK over HTTPS to two loopback vaults under their real host names.
 */
class VaultMoveIT {
  @TempDir Path dir;
  private final ManualClock clock = ManualClock.startingAt(java.time.Instant.now());
  private LoopbackKeyVault server;
  private LoopbackVault oldVault;
  private LoopbackVault newVault;
  private SettingsKeyConfiguration.AzureClientSetup loopback;

  @BeforeEach
  void vaults() {
    server = LoopbackKeyVault.builder().keyVault("fhirown").keyVault("fhirforeign").build();
    oldVault = server.vault("fhirown");
    newVault = server.vault("fhirforeign");
    VaultIdentity identity = server.createApplication("fhir-server");
    for (LoopbackVault v : new LoopbackVault[] {oldVault, newVault}) {
      v.setPurgeProtection(true);
      v.grant(identity, KeyPermission.cryptoServiceEncryptionUser());
    }
    HttpClient http = new JdkHttpClientBuilder(
            java.net.http.HttpClient.newBuilder().sslContext(server.clientSslContext()))
        .responseTimeout(Duration.ofSeconds(20))
        .build();
    TokenCredential credential = request -> Mono.just(new AccessToken(
        server.issueToken(identity, request.getScopes().get(0)),
        OffsetDateTime.now().plusMinutes(30)));
    loopback = (builder, settings) -> builder.httpClient(http).credential(credential);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static KeySettings settings(KeyReference key) {
    return KeySettings.builder()
        .keyEncryptionKeyUrl(key)
        .identityType(KeySettings.IdentityType.SYSTEM_ASSIGNED)
        .build();
  }

  private static Patient patient(String family) {
    Patient p = new Patient();
    p.addName().setFamily(family);
    return p;
  }

  @Test
  void keyMovedToAnotherVaultAndRefreshed_everyOldResourceVersionStaysReadable() {
    KeyReference oldKey = oldVault.createRsaKey("fhir-cmk", 2048).versionless();
    KeyReference newKey = newVault.createRsaKey("fhir-cmk-moved", 3072).versionless();
    AtomicReference<KeySettings> settings = new AtomicReference<>(settings(oldKey));
    try (FhirServer fhir = FhirServer.builder().port(0)
        .jdbcUrl("jdbc:h2:file:" + dir.resolve("fhir")).keySettings(settings::get)
        .azureClientSetup(loopback).clock(clock).backgroundProbe(false).build().start()) {
      IGenericClient client = FhirTestClient.of(fhir);
      List<IdType> written = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        written.add((IdType) client.create().resource(patient("Old" + i)).execute().getId());
      }
      Patient updated = patient("Old0-updated");
      updated.setId(written.get(0).toUnqualifiedVersionless());
      IdType secondVersion = (IdType) client.update().resource(updated).execute().getId();

      settings.set(settings(newKey));
      Parameters refreshed = client.operation().onServer().named("$cmk-refresh")
          .withNoParameters(Parameters.class).execute();
      assertEquals("AVAILABLE", refreshed.getParameter("state").getValue().primitiveValue());
      clock.advance(Duration.ofMinutes(61)); // past the data-key cache's max age: reads unwrap
      newVault.clearRequests();
      oldVault.clearRequests();

      for (int i = 0; i < written.size(); i++) {
        Patient p = client.read().resource(Patient.class)
            .withId(written.get(i).toUnqualified()).execute(); // the exact old version (vread)
        assertEquals("Old" + i, p.getNameFirstRep().getFamily());
      }
      assertEquals("Old0-updated", client.read().resource(Patient.class)
          .withId(secondVersion.toUnqualified()).execute().getNameFirstRep().getFamily());
      assertTrue(oldVault.requestCount() > 0, "old versions were unwrapped by the old vault");

      IdType fresh = (IdType) client.create().resource(patient("New")).execute().getId();
      assertTrue(newVault.requestCount() > 0, "new versions are wrapped under the new vault's key");
      assertEquals("New", client.read().resource(Patient.class)
          .withId(fresh.toUnqualifiedVersionless()).execute().getNameFirstRep().getFamily());
    }
  }
}
