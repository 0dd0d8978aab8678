package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TimeZone;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code _lastUpdated} search over HTTP with FHIR R4 date semantics: every prefix at day, second
 * and millisecond precision, against resources last updated just before, at, inside, at the end
 * of and just after the searched range. One server for all cases (resources are only added in
 * {@link #start}); each case restricts {@code _id} to one group so the groups do not mix. The
 * server runs in this JVM with the default time zone set to UTC+14, so a value without a zone
 * that were read in the local zone instead of UTC would select other resources.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LastUpdatedSearchIT {
  /** Day group: around 2026-11-24 (UTC). */
  private static final String DAY = "d1,d2,d3,d4,d5";
  /** Second group: around 2026-12-01T10:00:00Z. */
  private static final String SECOND = "s1,s2,s3,s4";
  /** Millisecond group: around 2026-12-02T10:00:00.500Z. */
  private static final String MILLI = "m1,m2,m3";

  /** Far from UTC: a day or time read in this zone misses every expected group. */
  private static final TimeZone LOCAL = TimeZone.getTimeZone("Pacific/Kiritimati");

  private TimeZone previousDefault;
  private FhirServer server;
  private IGenericClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    previousDefault = TimeZone.getDefault();
    TimeZone.setDefault(LOCAL);
    TestVault keys = TestVault.create();
    server = FhirTestClient.serverBuilder("jdbc:h2:file:" + dir.resolve("fhir"), keys.clock())
        .keyConfiguration(keys::configuration)
        .build()
        .start();
    client = FhirTestClient.of(server);
    String[][] updates = {
      {"d1", "2026-11-23T23:59:59.999Z"},
      {"d2", "2026-11-24T00:00:00.000Z"},
      {"d3", "2026-11-24T10:00:00.000Z"},
      {"d4", "2026-11-24T23:59:59.999Z"},
      {"d5", "2026-11-25T00:00:00.000Z"},
      {"s1", "2026-12-01T09:59:59.999Z"},
      {"s2", "2026-12-01T10:00:00.000Z"},
      {"s3", "2026-12-01T10:00:00.999Z"},
      {"s4", "2026-12-01T10:00:01.000Z"},
      {"m1", "2026-12-02T10:00:00.499Z"},
      {"m2", "2026-12-02T10:00:00.500Z"},
      {"m3", "2026-12-02T10:00:00.501Z"},
    };
    for (String[] u : updates) {
      keys.clock().set(Instant.parse(u[1]));
      Patient p = new Patient();
      p.setId(u[0]);
      p.addName().setFamily("Family-" + u[0]);
      client.update().resource(p).execute();
    }
  }

  @AfterAll
  void stop() {
    try {
      server.close();
    } finally {
      TimeZone.setDefault(previousDefault);
    }
  }

  private List<String> search(String ids, String lastUpdated) {
    Bundle bundle = client.search()
        .byUrl("Patient?_id=" + ids + "&" + lastUpdated)
        .returnBundle(Bundle.class)
        .execute();
    List<String> out = new ArrayList<>();
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      out.add(e.getResource().getIdElement().getIdPart());
    }
    return out;
  }

  private static List<String> expected(String spaceSeparated) {
    return spaceSeparated.isBlank() ? List.of() : List.of(spaceSeparated.trim().split(" +"));
  }

  @ParameterizedTest(name = "_lastUpdated={0}{1} -> [{2}]")
  @CsvSource({
    "eq, 2026-11-24, d2 d3 d4",
    "'', 2026-11-24, d2 d3 d4",
    "ne, 2026-11-24, d1 d5",
    "lt, 2026-11-24, d1",
    "le, 2026-11-24, d1 d2 d3 d4",
    "gt, 2026-11-24, d5",
    "ge, 2026-11-24, d2 d3 d4 d5",
    "sa, 2026-11-24, d5",
    "eb, 2026-11-24, d1",
    "le, 2026-11-23, d1",
    "ge, 2026-11-25, d5",
    "eq, 2026-11, d1 d2 d3 d4 d5",
    "gt, 2026-11, ''",
    "lt, 2026, ''",
  })
  void search_dayPrecision_coversTheWholeUtcDay(String prefix, String value, String ids) {
    assertEquals(expected(ids), search(DAY, "_lastUpdated=" + prefix + value));
  }

  @ParameterizedTest(name = "_lastUpdated={0}{1} -> [{2}]")
  @CsvSource({
    "eq, 2026-12-01T10:00:00Z, s2 s3",
    "ne, 2026-12-01T10:00:00Z, s1 s4",
    "lt, 2026-12-01T10:00:00Z, s1",
    "le, 2026-12-01T10:00:00Z, s1 s2 s3",
    "gt, 2026-12-01T10:00:00Z, s4",
    "ge, 2026-12-01T10:00:00Z, s2 s3 s4",
    "sa, 2026-12-01T10:00:00Z, s4",
    "eb, 2026-12-01T10:00:00Z, s1",
    "eq, 2026-12-01T11:00:00%2B01:00, s2 s3",
    "eq, 2026-12-01T05:30:00-04:30, s2 s3",
    "eq, 2026-12-01T10:00:00, s2 s3",
    "eq, 2026-12-01T10:00Z, s2 s3 s4",
    "ne, 2026-12-01T10:00Z, s1",
  })
  void search_secondPrecision_coversThatSecond(String prefix, String value, String ids) {
    assertEquals(expected(ids), search(SECOND, "_lastUpdated=" + prefix + value));
  }

  @ParameterizedTest(name = "_lastUpdated={0}{1} -> [{2}]")
  @CsvSource({
    "eq, 2026-12-02T10:00:00.500Z, m2",
    "ne, 2026-12-02T10:00:00.500Z, m1 m3",
    "lt, 2026-12-02T10:00:00.500Z, m1",
    "le, 2026-12-02T10:00:00.500Z, m1 m2",
    "gt, 2026-12-02T10:00:00.500Z, m3",
    "ge, 2026-12-02T10:00:00.500Z, m2 m3",
    "sa, 2026-12-02T10:00:00.500Z, m3",
    "eb, 2026-12-02T10:00:00.500Z, m1",
    "eq, 2026-12-02T10:00:00.5Z, m2 m3",
    "eq, 2026-12-02T10:00:00.50Z, m2 m3",
    "eq, 2026-12-02T10:00:00.500000Z, m2",
  })
  void search_millisecondPrecision_coversThatMillisecond(String prefix, String value, String ids) {
    assertEquals(expected(ids), search(MILLI, "_lastUpdated=" + prefix + value));
  }

  @Test
  void search_repeatedParameters_and_commaSeparatedValues_or() {
    assertEquals(List.of("d2", "d3", "d4"),
        search(DAY, "_lastUpdated=ge2026-11-24&_lastUpdated=lt2026-11-25"));
    assertEquals(List.of("d1", "d5"), search(DAY, "_lastUpdated=lt2026-11-24,ge2026-11-25"));
    assertEquals(List.of(), search(DAY, "_lastUpdated=lt2026-11-24&_lastUpdated=gt2026-11-24"));
  }

  @Test
  void search_missingModifier_everyResourceHasALastUpdated() {
    assertEquals(List.of("d1", "d2", "d3", "d4", "d5"), search(DAY, "_lastUpdated:missing=false"));
    assertEquals(List.of(), search(DAY, "_lastUpdated:missing=true"));
  }

  @Test
  void search_approximatePrefixOrMalformedValue_answers400() {
    assertEquals(400, assertThrows(InvalidRequestException.class,
        () -> search(DAY, "_lastUpdated=ap2026-11-24")).getStatusCode());
    assertEquals(400, assertThrows(InvalidRequestException.class,
        () -> search(DAY, "_lastUpdated=2026-11-24T25:00:00Z")).getStatusCode());
    assertEquals(400, assertThrows(InvalidRequestException.class,
        () -> search(DAY, "_lastUpdated=2026-13")).getStatusCode());
  }
}
