package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import dev.cmk.api.KeyReference;
import dev.cmk.examples.fhir.internal.SettingsKeyConfiguration;
import dev.cmk.testkit.ManualClock;
import dev.cmk.testkit.keyvault.LoopbackVault;
import java.nio.file.Path;
import java.time.Duration;
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
  private TwoLoopbackVaults vaults;
  private LoopbackVault oldVault;
  private LoopbackVault newVault;
  private SettingsKeyConfiguration.AzureClientSetup loopback;

  @BeforeEach
  void vaults() {
    vaults = new TwoLoopbackVaults();
    oldVault = vaults.own;
    newVault = vaults.foreign;
    loopback = vaults.clientSetup;
  }

  @AfterEach
  void stop() {
    vaults.close();
  }

  @Test
  void keyMovedToAnotherVaultAndRefreshed_everyOldResourceVersionStaysReadable() {
    KeyReference oldKey = oldVault.createRsaKey("fhir-cmk", 2048).versionless();
    KeyReference newKey = newVault.createRsaKey("fhir-cmk-moved", 3072).versionless();
    AtomicReference<KeySettings> settings = new AtomicReference<>(TwoLoopbackVaults.settings(oldKey));
    try (FhirServer fhir = FhirServer.builder().port(0)
        .jdbcUrl("jdbc:h2:file:" + dir.resolve("fhir")).keySettings(settings::get)
        .azureClientSetup(loopback).clock(clock).backgroundProbe(false).build().start()) {
      IGenericClient client = FhirTestClient.of(fhir);
      List<IdType> written = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        written.add((IdType) client.create().resource(TwoLoopbackVaults.patient("Old" + i)).execute().getId());
      }
      Patient updated = TwoLoopbackVaults.patient("Old0-updated");
      updated.setId(written.get(0).toUnqualifiedVersionless());
      IdType secondVersion = (IdType) client.update().resource(updated).execute().getId();

      settings.set(TwoLoopbackVaults.settings(newKey));
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

      IdType fresh = (IdType) client.create().resource(TwoLoopbackVaults.patient("New")).execute().getId();
      assertTrue(newVault.requestCount() > 0, "new versions are wrapped under the new vault's key");
      assertEquals("New", client.read().resource(Patient.class)
          .withId(fresh.toUnqualifiedVersionless()).execute().getNameFirstRep().getFamily());
    }
  }
}
