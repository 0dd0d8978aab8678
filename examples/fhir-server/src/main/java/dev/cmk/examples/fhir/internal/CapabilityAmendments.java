package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;

/**
 * Completes HAPI's generated CapabilityStatement with what the resource providers do but HAPI
 * cannot see from their annotations: {@code updateCreate} (PUT to a new id creates), and {@code
 * conditionalCreate} / {@code conditionalUpdate} stated explicitly for every served type.
 *
 * <p><b>Thread safety:</b> stateless.
 */
@Interceptor
public final class CapabilityAmendments {
  /**
   * Amends the statement HAPI generated.
   *
   * @param statement the R4 CapabilityStatement
   */
  @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
  public void amend(IBaseConformance statement) {
    if (!(statement instanceof CapabilityStatement)) {
      return;
    }
    for (CapabilityStatementRestComponent rest : ((CapabilityStatement) statement).getRest()) {
      for (CapabilityStatementRestResourceComponent r : rest.getResource()) {
        r.setUpdateCreate(true);
        r.setConditionalCreate(true);
        r.setConditionalUpdate(true);
      }
    }
  }
}
