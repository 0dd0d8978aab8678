package dev.cmk.examples.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.EnvelopeInfo;
import dev.cmk.examples.support.DemoClock;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;

/**
 * The one-command demo: starts the FHIR server on a free port with a fresh PKCS#12 keystore as the
 * customer's key vault and walks through the customer-managed-key story over HTTP with HAPI's
 * generic client, printing a transcript: store a patient, read it back, show the ciphertext at
 * rest, rotate the key, revoke it (HTTP 500), restore it (200), lose it for more than 30 minutes
 * (500 until refreshed; the server's clock is fast-forwarded through its demo-only {@code
 * $demo-clock} operation) and refresh (200). Every step checks what it shows; the exit code is 0
 * only if all behaved as expected.
 *
 * <pre>
 * java -cp cmk-example-fhir-server.jar dev.cmk.examples.fhir.DemoWalkthrough [WORK_DIR]
 * </pre>
 *
 * <p>Without {@code WORK_DIR} a temporary directory is used and deleted afterwards.
 */
public final class DemoWalkthrough {
  private final PrintStream out;
  private final Path work;
  private IGenericClient client;
  private FhirServer server;
  private DemoKeystore vault;
  private String jdbcUrl;
  private KeyReference firstVersion;
  private int step;

  /** A step did not behave as the demo says it should. */
  static final class DemoFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DemoFailure(String message) {
      super(message);
    }
  }

  DemoWalkthrough(Path work, PrintStream out) {
    this.work = work;
    this.out = out;
  }

  /**
   * Runs the walkthrough.
   *
   * @param args optionally the work directory
   */
  public static void main(String[] args) {
    // The in-process server logs the key guard's events to the same stream as the transcript.
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.out");
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    setIfAbsent("org.slf4j.simpleLogger.log.dev.cmk.core", "info");
    setIfAbsent("org.slf4j.simpleLogger.log.dev.cmk.examples", "error");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "false");
    Path work;
    boolean temporary = args.length == 0;
    try {
      work = temporary ? Files.createTempDirectory("cmk-fhir-demo") : Path.of(args[0]);
    } catch (IOException e) {
      System.err.println("demo: cannot create a work directory: " + e.getMessage());
      System.exit(1);
      return;
    }
    int code = new DemoWalkthrough(work, System.out).run();
    if (temporary) {
      deleteTree(work);
    }
    System.exit(code);
  }

  private static void setIfAbsent(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }

  /**
   * Runs every step.
   *
   * @return 0 if all behaved as expected, 1 otherwise
   */
  int run() {
    long start = System.nanoTime();
    try {
      setUp();
      walk();
      out.printf(Locale.ROOT, "%nAll %d steps behaved as expected (%.1f s).%n", step,
          (System.nanoTime() - start) / 1e9);
      return 0;
    } catch (DemoFailure e) {
      out.println();
      out.println("DEMO FAILED at step " + step + ": " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      out.println();
      out.println("DEMO FAILED at step " + step + ": " + e);
      return 1;
    } finally {
      if (server != null) {
        server.close();
      }
      out.flush();
    }
  }

  private void setUp() {
    banner("cmk demo: a FHIR server whose data is encrypted under a key the customer controls");
    say("Lines starting with [INFO], [WARN] or [ERROR] are the server's own log.");
    vault = DemoKeystore.openOrCreate(work.resolve("vault"));
    KeyReference v1 = vault.latestVersion();
    firstVersion = v1;
    say("");
    say("The customer's key vault: PKCS#12 keystore " + work.resolve("vault")
        .resolve(DemoKeystore.KEYSTORE_FILE));
    say("  key " + vault.key() + ", version " + v1.version().orElse("-")
        + " (RSA-3072, soft delete and purge protection on)");
    jdbcUrl = "jdbc:hsqldb:file:" + work.resolve("db").resolve("fhir").toAbsolutePath();
    KeySettings settings = vault.settings();
    server = FhirServer.builder()
        .port(0)
        .jdbcUrl(jdbcUrl)
        .keySettings(() -> settings)
        .demoClock(DemoClock.systemUtc())
        .build()
        .start();
    FhirContext fhir = FhirContext.forR4Cached();
    fhir.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
    client = fhir.newRestfulGenericClient(server.baseUrl().toString());
    say("The FHIR server: " + server.baseUrl() + " (HAPI FHIR R4, HSQLDB database " + jdbcUrl
        + ", every write synced before it is answered)");
    say("  keyEncryptionKeyUrl = " + settings.keyEncryptionKeyUrl()
        + "  (versionless: new data follows the latest key version)");
    say("  key policy fhir-service; writing under version "
        + versionOf(param(status(), "currentKeyVersion")));
  }

  private void walk() {
    // 1 -------------------------------------------------------------------------------------
    step("Store a patient");
    Patient p = new Patient();
    p.addIdentifier().setSystem("urn:oid:1.2.36.146.595.217.0.1").setValue("12345");
    p.addName().setFamily("Chalmers").addGiven("Peter").addGiven("James");
    p.setGender(AdministrativeGender.MALE);
    p.setBirthDateElement(new DateType("1974-12-25"));
    http("POST /Patient", "Peter James Chalmers, born 1974-12-25, MRN 12345");
    MethodOutcome created = client.create().resource(p).execute();
    IdType id = ((IdType) created.getId()).toUnqualifiedVersionless();
    check(Boolean.TRUE.equals(created.getCreated()), "the create answered 201");
    answer("201 Created", created.getId().toUnqualified().getValue());

    // 2 -------------------------------------------------------------------------------------
    step("Read it back");
    http("GET /" + id.getValue(), null);
    Patient read = client.read().resource(Patient.class).withId(id).execute();
    check("Chalmers".equals(read.getNameFirstRep().getFamily()), "the patient reads back");
    answer("200 OK", read.getNameFirstRep().getNameAsSingleString() + ", born "
        + read.getBirthDateElement().getValueAsString());

    // 3 -------------------------------------------------------------------------------------
    step("What is stored: the ciphertext at rest");
    byte[] v1Envelope = envelope(id.getIdPart(), 1);
    say("SELECT * FROM fhir_resource_version WHERE resource_id = '" + id.getIdPart() + "'");
    say("  clear columns: resource_type=Patient, resource_id, version_id=1, last_updated, deleted");
    say("  envelope (" + v1Envelope.length + " bytes), first 96:");
    hexDump(v1Envelope, 96);
    EnvelopeInfo info = EnvelopeInfo.of(v1Envelope);
    say("  header: cmk envelope v" + info.formatVersion() + ", " + info.suite());
    say("          data key wrapped with " + info.wrapAlgorithm().jwaName() + " by "
        + info.keyReference() + " (" + info.wrappedKeyLength() + " bytes)");
    say("          bound to associated data \"Patient/" + id.getIdPart() + "/1\"");
    boolean nameInClear = contains(v1Envelope, "Chalmers") || anyColumnContains("Chalmers");
    check(!nameInClear, "no plaintext in the database");
    say("  \"Chalmers\" anywhere in the table: " + (nameInClear ? "FOUND" : "not found"));

    // 4 -------------------------------------------------------------------------------------
    step("Rotate the key");
    KeyReference v2 = vault.rotate();
    vault("rotate " + vault.key() + " -> new version " + v2.version().orElse("-"));
    advance("PT1M", "the server re-checks the key at least once a minute");
    read.addTelecom().setSystem(ContactPoint.ContactPointSystem.PHONE).setValue("(03) 5555 6473");
    http("PUT /" + id.getValue(), "add a phone number");
    MethodOutcome updated = client.update().resource(read).execute();
    answer("200 OK", updated.getId().toUnqualified().getValue());
    KeyReference storedV1 = EnvelopeInfo.of(envelope(id.getIdPart(), 1)).keyReference();
    KeyReference storedV2 = EnvelopeInfo.of(envelope(id.getIdPart(), 2)).keyReference();
    say("  stored: version 1 wrapped by key version " + storedV1.version().orElse("-")
        + ", version 2 by " + storedV2.version().orElse("-"));
    check(storedV1.equals(firstVersion) && storedV2.equals(v2), "new data uses the new version");
    http("GET /" + id.getValue() + "/_history/1", "the old version, under the old key version");
    Patient old = client.read().resource(Patient.class)
        .withIdAndVersion(id.getIdPart(), "1").execute();
    check(old.getTelecom().isEmpty(), "version 1 still reads");
    answer("200 OK", "version 1 (no phone number)");

    // 5 -------------------------------------------------------------------------------------
    step("Revoke: the customer disables the key");
    vault.setEnabled(v2, false);
    vault("disable " + v2);
    advance("PT1M", "the next key check finds it disabled");
    expect500(id, false);
    http("GET /metadata", null);
    CapabilityStatement cs = client.capabilities().ofType(CapabilityStatement.class).execute();
    answer("200 OK", "CapabilityStatement (" + cs.getSoftware().getName() + ") still answers");
    Parameters s5 = status();
    check("UNAVAILABLE".equals(param(s5, "state")), "status UNAVAILABLE");
    http("GET /$cmk-status", null);
    answer("200 OK", "state " + param(s5, "state") + ", cause " + param(s5, "cause")
        + ", grace remaining " + param(s5, "graceRemainingSeconds") + " s");

    // 6 -------------------------------------------------------------------------------------
    step("Restore within 30 minutes");
    vault.setEnabled(v2, true);
    vault("enable " + v2);
    advance("PT10S", "the server re-probes the key with back-off");
    http("GET /" + id.getValue(), null);
    Patient back = client.read().resource(Patient.class).withId(id).execute();
    check(!back.getTelecom().isEmpty(), "the patient reads again");
    answer("200 OK", back.getNameFirstRep().getNameAsSingleString()
        + ": service resumed by itself");

    // 7 -------------------------------------------------------------------------------------
    step("Lose the key for more than 30 minutes");
    vault.setEnabled(v2, false);
    vault("disable " + v2);
    advance("PT1M", null);
    expect500(id, false);
    advance("PT30M", "30 more minutes without the key");
    vault.setEnabled(v2, true);
    vault("enable " + v2 + " (access is back, but after the 30-minute window)");
    advance("PT10S", null);
    expect500(id, true);
    Parameters s7 = status();
    check("REFRESH_REQUIRED".equals(param(s7, "state")), "status REFRESH_REQUIRED");
    http("GET /$cmk-status", null);
    answer("200 OK", "state " + param(s7, "state") + ", refreshRequired "
        + param(s7, "refreshRequired"));

    // 8 -------------------------------------------------------------------------------------
    step("Refresh: the explicit \"update the service\" step");
    http("POST /$cmk-refresh", null);
    Parameters refreshed = client.operation().onServer().named("$cmk-refresh")
        .withNoParameters(Parameters.class).execute();
    check("AVAILABLE".equals(param(refreshed, "state")), "refresh reopens the service");
    answer("200 OK", "state " + param(refreshed, "state") + ", writing under version "
        + versionOf(param(refreshed, "currentKeyVersion")));
    http("GET /" + id.getValue() + "/_history", null);
    Bundle history = client.history().onInstance(id).returnBundle(Bundle.class).execute();
    check(history.getEntry().size() == 2, "both versions read");
    answer("200 OK", history.getEntry().size() + " versions, under key versions "
        + storedV2.version().orElse("-") + " and " + storedV1.version().orElse("-"));
  }

  // ------------------------------------------------------------------------------ helpers

  private void expect500(IdType id, boolean refreshRequired) {
    http("GET /" + id.getValue(), null);
    try {
      client.read().resource(Patient.class).withId(id).execute();
      throw new DemoFailure("the read succeeded although the key is not accessible");
    } catch (BaseServerResponseException e) {
      check(e.getStatusCode() == 500, "HTTP 500, got " + e.getStatusCode());
      IBaseOperationOutcome base = e.getOperationOutcome();
      check(base instanceof OperationOutcome, "the 500 carries an OperationOutcome");
      OperationOutcome oo = (OperationOutcome) base;
      String text = oo.getIssueFirstRep().getDiagnostics();
      check(text != null && text.startsWith("The customer-managed key is not accessible"),
          "the OperationOutcome says the key is not accessible");
      check(!refreshRequired || text.contains("POST /$cmk-refresh") && text.contains("more than 30"),
          "the OperationOutcome asks for a refresh");
      answer("500 Internal Server Error", "OperationOutcome:");
      wrap(text, "        ");
    }
  }

  private Parameters status() {
    return client.operation().onServer().named("$cmk-status")
        .withNoParameters(Parameters.class).useHttpGet().execute();
  }

  private void advance(String duration, String why) {
    Parameters p = client.operation().onServer().named("$demo-clock")
        .withParameter(Parameters.class, "advance", new StringType(duration)).execute();
    out.println("  [demo clock] +" + duration.substring(2).toLowerCase(Locale.ROOT)
        + (why == null ? "" : ": " + why) + "  (server time " + param(p, "serverTime") + ")");
  }

  private static String param(Parameters p, String name) {
    Parameters.ParametersParameterComponent c = p.getParameter(name);
    if (c == null || c.getValue() == null) {
      throw new DemoFailure("the server's answer has no " + name);
    }
    return c.getValue().primitiveValue();
  }

  private static String versionOf(String reference) {
    return KeyReference.parse(reference).version().orElse("-");
  }

  private byte[] envelope(String id, long version) {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "SA", "");
        PreparedStatement ps = c.prepareStatement(
            "SELECT envelope FROM fhir_resource_version WHERE resource_type = 'Patient'"
                + " AND resource_id = ? AND version_id = ?")) {
      ps.setString(1, id);
      ps.setLong(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new DemoFailure("no stored row for version " + version);
        }
        return rs.getBytes(1);
      }
    } catch (SQLException e) {
      throw new DemoFailure("cannot read the database: " + e.getMessage());
    }
  }

  private boolean anyColumnContains(String text) {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "SA", "");
        PreparedStatement ps = c.prepareStatement("SELECT * FROM fhir_resource_version");
        ResultSet rs = ps.executeQuery()) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= columns; i++) {
          Object v = rs.getObject(i);
          byte[] raw = v instanceof byte[] ? (byte[]) v
              : String.valueOf(v).getBytes(StandardCharsets.UTF_8);
          if (contains(raw, text)) {
            return true;
          }
        }
      }
      return false;
    } catch (SQLException e) {
      throw new DemoFailure("cannot read the database: " + e.getMessage());
    }
  }

  static boolean contains(byte[] haystack, String text) {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private void hexDump(byte[] bytes, int max) {
    int n = Math.min(max, bytes.length);
    for (int off = 0; off < n; off += 16) {
      StringBuilder hex = new StringBuilder();
      StringBuilder ascii = new StringBuilder();
      for (int i = off; i < off + 16; i++) {
        if (i < n) {
          int b = bytes[i] & 0xff;
          hex.append(String.format(Locale.ROOT, "%02x ", b));
          ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
        } else {
          hex.append("   ");
        }
      }
      out.printf(Locale.ROOT, "    %08x  %s |%s|%n", off, hex, ascii);
    }
    if (bytes.length > n) {
      out.println("    ...");
    }
  }

  private void check(boolean condition, String what) {
    if (!condition) {
      throw new DemoFailure("expected: " + what);
    }
  }

  private void banner(String text) {
    out.println("=".repeat(text.length()));
    out.println(text);
    out.println("=".repeat(text.length()));
  }

  private void step(String title) {
    step++;
    out.println();
    out.println(step + ". " + title);
  }

  private void say(String text) {
    out.println(text.isEmpty() ? "" : "  " + text);
  }

  private void vault(String text) {
    out.println("  [key vault] " + text);
  }

  private void http(String request, String note) {
    out.println("  > " + request + (note == null ? "" : "   (" + note + ")"));
  }

  private void answer(String status, String text) {
    out.println("  < " + status + (text == null ? "" : "  " + text));
  }

  private void wrap(String text, String indent) {
    StringBuilder line = new StringBuilder(indent);
    for (String word : text.split(" ")) {
      if (line.length() + word.length() > 100 && line.length() > indent.length()) {
        out.println(line.toString().stripTrailing());
        line = new StringBuilder(indent);
      }
      line.append(word).append(' ');
    }
    out.println(line.toString().stripTrailing());
  }

  private static void deleteTree(Path root) {
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
