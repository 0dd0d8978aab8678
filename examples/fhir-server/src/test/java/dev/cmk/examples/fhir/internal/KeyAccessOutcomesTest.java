package dev.cmk.examples.fhir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.KeyAccessState;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.core.LossCause;
import java.time.Duration;
import java.time.Instant;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

class KeyAccessOutcomesTest {
  private static final KeyReference KEY = KeyReference.parse("local:fhir-cmk");

  private static KeyAccessStatus status(KeyAccessState state, Duration grace) {
    return new KeyAccessStatus(state, Instant.parse("2026-01-01T00:00:00.123456Z"),
        LossCause.KEY_DISABLED, "key is disabled", grace, KEY, KEY.withVersion("00000002"), null);
  }

  @Test
  void refused_unavailable_500WithCodesAndGraceTime() {
    InternalErrorException e =
        KeyAccessOutcomes.refused(status(KeyAccessState.UNAVAILABLE, Duration.ofSeconds(1799)));
    assertEquals(500, e.getStatusCode());
    OperationOutcome oo = (OperationOutcome) e.getOperationOutcome();
    String text = oo.getIssueFirstRep().getDiagnostics();
    assertTrue(text.startsWith(KeyAccessOutcomes.NOT_ACCESSIBLE + ": the key is disabled"), text);
    assertTrue(text.contains("within 29 min 59 s"), text);
    assertTrue(text.contains("Since 2026-01-01T00:00:00Z"), text);
    assertEquals("UNAVAILABLE", oo.getIssueFirstRep().getDetails().getCoding().get(0).getCode());
    assertEquals("KEY_DISABLED", oo.getIssueFirstRep().getDetails().getCoding().get(1).getCode());
    assertEquals(KeyAccessOutcomes.CODE_SYSTEM,
        oo.getIssueFirstRep().getDetails().getCoding().get(0).getSystem());
  }

  @Test
  void describe_refreshRequired_asksForRefresh() {
    String text = KeyAccessOutcomes.describe(status(KeyAccessState.REFRESH_REQUIRED, Duration.ZERO));
    assertTrue(text.contains("more than 30 minutes ago"), text);
    assertTrue(text.contains("POST /$cmk-refresh"), text);
  }

  @Test
  void translate_invalidCiphertext_fixedTextNoCause() {
    BaseServerResponseException e = KeyAccessOutcomes.translate(
        new InvalidCiphertextException(new IllegalStateException("tag mismatch at byte 17")), null);
    assertEquals(500, e.getStatusCode());
    String text = ((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getDiagnostics();
    assertTrue(text.startsWith("A stored resource version failed authentication"), text);
    assertTrue(!text.contains("tag mismatch"), text);
  }

  @Test
  void translate_versionConflict_409() {
    assertEquals(409, KeyAccessOutcomes.translate(
        new ResourceStore.VersionConflictException("changed"), null).getStatusCode());
  }

  @Test
  void translate_unexpectedException_hidesItsMessage() {
    BaseServerResponseException e = KeyAccessOutcomes.translate(
        new IllegalStateException("SELECT secret FROM somewhere"), null);
    assertEquals(500, e.getStatusCode());
    assertEquals("Internal error", e.getMessage());
  }

  @Test
  void reason_everyLossCause_hasAPlainWordsReason() {
    for (LossCause c : LossCause.values()) {
      if (c != LossCause.NONE) {
        assertNotEquals("unknown", KeyAccessOutcomes.reason(c), c.name());
      }
    }
  }

  @Test
  void isDiskFull_postgresStateEnospcCauseAndNextException_true_otherFailures_false() {
    assertTrue(KeyAccessOutcomes.isDiskFull(new java.sql.SQLException("no extend", "53100")));
    assertTrue(KeyAccessOutcomes.isDiskFull(new RuntimeException("write failed",
        new java.sql.SQLException("io", "S1000",
            new java.io.IOException("No space left on device")))));
    java.sql.SQLException batch = new java.sql.SQLException("batch failed", "XX000");
    batch.setNextException(new java.sql.SQLException("disk", "53100"));
    assertTrue(KeyAccessOutcomes.isDiskFull(batch));
    assertTrue(!KeyAccessOutcomes.isDiskFull(new java.sql.SQLException("timeout", "57014")));
    assertTrue(!KeyAccessOutcomes.isDiskFull(new java.sql.SQLException("too many", "53300")));
    assertTrue(!KeyAccessOutcomes.isDiskFull(new java.io.IOException("File too large")));
  }

  @Test
  void translate_storageFailureOnFullDisk_507WithNoStoreIssue() {
    BaseServerResponseException e = KeyAccessOutcomes.translate(
        new ResourceStore.StorageException("writing a resource version failed",
            new java.sql.SQLException("could not extend file", "53100")), null);
    assertEquals(507, e.getStatusCode());
    OperationOutcome oo = (OperationOutcome) e.getOperationOutcome();
    assertEquals(OperationOutcome.IssueType.NOSTORE, oo.getIssueFirstRep().getCode());
    assertEquals(500, KeyAccessOutcomes.translate(
        new ResourceStore.StorageException("writing a resource version failed",
            new java.sql.SQLException("connection refused", "08001")), null).getStatusCode());
  }
}
