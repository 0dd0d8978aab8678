package dev.cmk.examples.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import java.time.Clock;

/**
 * The HAPI client the integration tests talk to a running {@link FhirServer} with, and the builder
 * of the server they start.
 */
final class FhirTestClient {
  private FhirTestClient() {}

  /**
   * A generic R4 client for {@code server}, not fetching the capability statement first (each
   * request is exactly the one the test makes).
   *
   * @param server the started server
   * @return the client
   */
  static IGenericClient of(FhirServer server) {
    FhirContext fhir = FhirContext.forR4Cached();
    fhir.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
    return fhir.newRestfulGenericClient(server.baseUrl().toString());
  }

  /**
   * A server builder for a test: any free port, the database at {@code jdbcUrl}, the test's clock,
   * and no background probe (the test moves the clock, requests trigger the probes). The caller
   * adds the key configuration.
   *
   * @param jdbcUrl the database
   * @param clock the clock
   * @return the builder
   */
  static FhirServerBuilder serverBuilder(String jdbcUrl, Clock clock) {
    return FhirServer.builder().port(0).jdbcUrl(jdbcUrl).clock(clock).backgroundProbe(false);
  }
}
