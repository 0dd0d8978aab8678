package dev.cmk.examples.documents;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Maps failures to problem details ({@code application/problem+json}). When the customer-managed
 * key is not accessible every document request answers 500 — as the Azure Health Data Services
 * do — with what is wrong and what brings the service back; no key material, no document content.
 */
@RestControllerAdvice
class DocumentProblems {
  private final EnvelopeCrypto crypto;

  DocumentProblems(EnvelopeCrypto crypto) {
    this.crypto = crypto;
  }

  /** No document with this id. */
  static final class NoSuchDocument extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoSuchDocument(String id) {
      super("no document " + id);
    }
  }

  /** A document id that is not a safe file name. */
  static final class InvalidDocumentId extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidDocumentId(String pattern) {
      super("document id must match " + pattern);
    }
  }

  @ExceptionHandler(KeyAccessSuspendedException.class)
  ProblemDetail keyNotAccessible(KeyAccessSuspendedException e) {
    return keyProblem(e.refreshRequired()
        ? "Access to the customer-managed key was lost for longer than the grace period; restore"
            + " access, then refresh (POST /actuator/cmk)."
        : "Access to the customer-managed key is lost; the service resumes by itself when access"
            + " is restored within the grace period.");
  }

  @ExceptionHandler(KeyProviderException.class)
  ProblemDetail keyProviderFailed(KeyProviderException e) {
    return keyProblem("The key provider refused or failed the request: " + e.getMessage());
  }

  private ProblemDetail keyProblem(String detail) {
    KeyAccessStatus status = crypto.keyAccess().status();
    ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, detail);
    p.setType(URI.create("https://cmk.dev/problems/key-not-accessible"));
    p.setTitle("Customer-managed key not accessible");
    p.setProperty("state", status.state().name());
    p.setProperty("cause", status.cause().name());
    p.setProperty("graceRemaining", status.graceRemaining().toString());
    return p;
  }

  @ExceptionHandler(InvalidCiphertextException.class)
  ProblemDetail invalidCiphertext(InvalidCiphertextException e) {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
        "The stored document failed its integrity check (altered, or stored under another id).");
    p.setType(URI.create("https://cmk.dev/problems/invalid-ciphertext"));
    p.setTitle("Stored document failed its integrity check");
    return p;
  }

  @ExceptionHandler(NoSuchDocument.class)
  ProblemDetail notFound(NoSuchDocument e) {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, e.getMessage());
    p.setTitle("Document not found");
    return p;
  }

  @ExceptionHandler(InvalidDocumentId.class)
  ProblemDetail badRequest(InvalidDocumentId e) {
    ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
    p.setTitle("Invalid document id");
    return p;
  }
}
