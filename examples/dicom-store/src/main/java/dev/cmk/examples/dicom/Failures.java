package dev.cmk.examples.dicom;

import dev.cmk.api.InvalidCiphertextException;
import dev.cmk.api.KeyAccessSuspendedException;
import dev.cmk.api.KeyPolicyViolationException;
import dev.cmk.api.KeyProviderException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.UnsupportedFormatException;
import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a request's failure into its answer: 500 {@code customer-managed-key-not-accessible}
 * (with the key's state) for every key failure, 500 {@code stored-instance-failed-authentication}
 * for tampered storage, 507 {@code insufficient-storage} for a full disk, 500 {@code
 * internal-error} otherwise; or, once the response is committed, an aborted connection (the
 * client sees a body shorter than announced, never bytes of a failing segment). Logs name the
 * request path (UIDs only) and the exception type and message, which carry no secrets.
 *
 * <p><b>Thread safety:</b> stateless apart from the crypto, which is thread-safe.
 */
final class Failures {
  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);
  private final EnvelopeCrypto crypto;
  private final InstanceStore store;

  Failures(EnvelopeCrypto crypto, InstanceStore store) {
    this.crypto = crypto;
    this.store = store;
  }

  void fail(Exchange x, Throwable e) {
    String what = x.method() + " " + x.request.getHttpURI().getPath();
    if (x.response.isCommitted()) {
      LOG.atError().setMessage("dicom.response-aborted")
          .addKeyValue("request", what)
          .addKeyValue("error", describe(e))
          .log();
      x.callback.failed(e);
      return;
    }
    x.response.reset(); // drop the success path's headers (Content-Range, ETag, ...)
    if (e instanceof KeyAccessSuspendedException
        || e instanceof KeyProviderException
        || e instanceof KeyPolicyViolationException) {
      LOG.atWarn().setMessage("dicom.key-not-accessible")
          .addKeyValue("request", what)
          .addKeyValue("error", describe(e))
          .log();
      if (e instanceof KeyProviderUnavailableException u) {
        u.retryAfter().map(Duration::toSeconds)
            .ifPresent(s -> x.response.getHeaders().put(HttpHeader.RETRY_AFTER, Math.max(1, s)));
      }
      x.sendError(500, keyNotAccessible(e));
    } else if (e instanceof InvalidCiphertextException) {
      LOG.atError().setMessage("dicom.stored-instance-failed-authentication")
          .addKeyValue("request", what)
          .log();
      x.sendError(500, "stored-instance-failed-authentication",
          "the stored instance failed authentication (corrupted or tampered with);"
              + " nothing of it was returned");
    } else if (e instanceof UnsupportedFormatException) {
      LOG.atError().setMessage("dicom.unsupported-envelope")
          .addKeyValue("request", what)
          .addKeyValue("error", describe(e))
          .log();
      x.sendError(500, "unsupported-envelope-format", e.getMessage());
    } else if (e instanceof IOException io && DiskFull.is(io, store.root())) {
      insufficientStorage(x, what);
    } else {
      LOG.atError().setMessage("dicom.internal-error").addKeyValue("request", what).setCause(e)
          .log();
      x.sendError(500, "internal-error", "the request failed; see the server log");
    }
  }

  /** 507: the file system is full. */
  static void insufficientStorage(Exchange x, String what) {
    LOG.atError().setMessage("dicom.insufficient-storage").addKeyValue("request", what).log();
    x.sendError(507, "insufficient-storage",
        "the store's file system has no space left; nothing was stored");
  }

  /** The answer to a refused upload (raw endpoints). */
  static void rejected(Exchange x, StoreRejection e) {
    int status = switch (e.reason()) {
      case ALREADY_EXISTS -> 409;
      case TOO_LARGE -> 413;
      case INSUFFICIENT_STORAGE -> 507;
      default -> 400;
    };
    if (status == 507) {
      insufficientStorage(x, x.method() + " " + x.request.getHttpURI().getPath());
      return;
    }
    x.sendError(status, e.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'),
        e.getMessage());
  }

  Map<String, Object> keyNotAccessible(Throwable e) {
    KeyAccessStatus status = crypto.keyAccess().status();
    Map<String, Object> fields = Exchange.error("customer-managed-key-not-accessible",
        "The customer-managed key is not accessible, so the request was refused: "
            + e.getMessage());
    fields.put("keyState", status.state().name());
    fields.put("cause", status.cause().name());
    fields.put("refreshRequired",
        e instanceof KeyAccessSuspendedException s && s.refreshRequired());
    fields.put("graceRemainingSeconds", status.graceRemaining().toSeconds());
    return fields;
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
