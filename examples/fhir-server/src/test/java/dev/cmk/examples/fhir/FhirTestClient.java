package dev.cmk.examples.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;

/** The HAPI client the integration tests talk to a running {@link FhirServer} with. */
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
}
