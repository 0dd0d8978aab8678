package dev.cmk.examples.dicom;

import dev.cmk.core.EnvelopeCrypto;
import dev.cmk.core.KeyAccessStatus;
import dev.cmk.examples.support.DemoClock;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface of the DICOM store (a Jetty 12 core handler; blocking I/O on Jetty's pool):
 * routes to DICOMweb ({@link StowEndpoint}, {@link WadoEndpoints}, {@link QidoEndpoint}), the raw
 * instance resource ({@link BlobEndpoints}) and the operator endpoints.
 *
 * <ul>
 *   <li>{@code POST /studies[/{study}]}: STOW-RS.
 *   <li>{@code GET /studies}, {@code /series}, {@code /instances}, {@code /studies/{s}/series},
 *       {@code /studies/{s}/instances}, {@code /studies/{s}/series/{se}/instances}: QIDO-RS.
 *   <li>{@code GET /studies/{s}[/series/{se}[/instances/{sop}]]} ({@code multipart/related}),
 *       {@code .../metadata}, {@code .../instances/{sop}/frames/{list}}: WADO-RS.
 *   <li>{@code POST|PUT|GET|HEAD|DELETE /studies/{s}/series/{se}/instances/{sop}} with {@code
 *       application/dicom}: the raw instance (byte ranges).
 *   <li>{@code GET /$cmk-status}, {@code POST /$cmk-refresh}, and with a {@link DemoClock}
 *       {@code POST /$demo-clock?advance=PT31M}.
 * </ul>
 *
 * <p>While the customer-managed key is not accessible every request that needs it answers 500
 * with {@code "error": "customer-managed-key-not-accessible"} (see {@link Failures}).
 *
 * <p><b>Thread safety:</b> stateless apart from thread-safe collaborators.
 */
final class DicomStoreHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(DicomStoreHandler.class);

  static final String DICOM = BlobEndpoints.DICOM;
  static final String STATUS_PATH = "/$cmk-status";
  static final String REFRESH_PATH = "/$cmk-refresh";
  static final String DEMO_CLOCK_PATH = "/$demo-clock";
  static final int DISCARD_LIMIT = Exchange.DISCARD_LIMIT;

  private static final Set<String> ROUTES = Set.of("studies", "series",
      "instances", "studies/S", "studies/S/metadata", "studies/S/series", "studies/S/instances",
      "studies/S/series/S", "studies/S/series/S/metadata", "studies/S/series/S/instances",
      "studies/S/series/S/instances/S", "studies/S/series/S/instances/S/metadata",
      "studies/S/series/S/instances/S/frames/F");

  private final EnvelopeCrypto crypto;
  private final DemoClock demoClock; // null unless demonstrating
  private final Failures failures;
  private final BlobEndpoints blobs;
  private final StowEndpoint stow;
  private final WadoEndpoints wado;
  private final QidoEndpoint qido;

  DicomStoreHandler(InstanceStore store, InstanceWriter writer, InstanceIndex index,
      DemoClock demoClock) {
    this.crypto = store.crypto();
    this.demoClock = demoClock;
    this.failures = new Failures(crypto, store);
    this.blobs = new BlobEndpoints(store, writer, index);
    this.stow = new StowEndpoint(writer, index);
    this.wado = new WadoEndpoints(store);
    this.qido = new QidoEndpoint(index);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Exchange x = new Exchange(request, response, callback);
    try {
      route(x);
    } catch (Throwable e) {
      failures.fail(x, e);
    }
    return true;
  }

  private void route(Exchange x) throws IOException {
    String method = x.method();
    String decoded = x.request.getHttpURI().getDecodedPath();
    if (STATUS_PATH.equals(decoded)) {
      if (method.equals("GET") || method.equals("HEAD")) {
        x.send(200, CmkStatusJson.of(crypto.keyAccess().status(), crypto));
      } else {
        x.methodNotAllowed("GET, HEAD");
      }
      return;
    }
    if (DEMO_CLOCK_PATH.equals(decoded) && demoClock != null) {
      if (method.equals("POST")) {
        advanceDemoClock(x);
      } else {
        x.methodNotAllowed("POST");
      }
      return;
    }
    if (REFRESH_PATH.equals(decoded)) {
      if (method.equals("POST")) {
        refresh(x);
      } else {
        x.methodNotAllowed("POST");
      }
      return;
    }
    // The raw (still percent-encoded) path: a valid UID never needs encoding, so whatever was
    // encoded fails validation. A frame list may be encoded (%2C).
    String[] p = x.request.getHttpURI().getPath().split("/", -1);
    if (p.length < 2 || !p[0].isEmpty()) {
      notFound(x);
      return;
    }
    String resource = resource(p);
    if (!ROUTES.contains(resource)) {
      notFound(x);
      return;
    }
    try {
      for (int i = 2; i < Math.min(p.length, 8); i += 2) {
        DicomUid.check(p[i], "UID");
      }
    } catch (IllegalArgumentException e) {
      x.sendError(400, "invalid-uid", e.getMessage());
      return;
    }
    boolean get = method.equals("GET");
    switch (resource) {
      case "studies" -> {
        if (get) {
          qido.search(x, QidoEndpoint.Level.STUDY, null, null);
        } else if (method.equals("POST")) {
          stow.store(x, null);
        } else {
          x.methodNotAllowed("GET, POST");
        }
      }
      case "series" -> onlyGet(x, () -> qido.search(x, QidoEndpoint.Level.SERIES, null, null));
      case "instances" ->
          onlyGet(x, () -> qido.search(x, QidoEndpoint.Level.INSTANCE, null, null));
      case "studies/S" -> {
        if (get) {
          wado.retrieve(x, p[2], null, null);
        } else if (method.equals("POST")) {
          stow.store(x, p[2]);
        } else {
          x.methodNotAllowed("GET, POST");
        }
      }
      case "studies/S/metadata" -> onlyGet(x, () -> wado.metadata(x, p[2], null, null));
      case "studies/S/series" ->
          onlyGet(x, () -> qido.search(x, QidoEndpoint.Level.SERIES, p[2], null));
      case "studies/S/instances" ->
          onlyGet(x, () -> qido.search(x, QidoEndpoint.Level.INSTANCE, p[2], null));
      case "studies/S/series/S" -> onlyGet(x, () -> wado.retrieve(x, p[2], p[4], null));
      case "studies/S/series/S/metadata" -> onlyGet(x, () -> wado.metadata(x, p[2], p[4], null));
      case "studies/S/series/S/instances" ->
          onlyGet(x, () -> qido.search(x, QidoEndpoint.Level.INSTANCE, p[2], p[4]));
      case "studies/S/series/S/instances/S" -> instance(x, new InstanceKey(p[2], p[4], p[6]));
      case "studies/S/series/S/instances/S/metadata" ->
          onlyGet(x, () -> wado.metadata(x, p[2], p[4], p[6]));
      case "studies/S/series/S/instances/S/frames/F" ->
          onlyGet(x, () -> wado.frames(x, new InstanceKey(p[2], p[4], p[6]),
              x.request.getHttpURI().getDecodedPath().substring(
                  x.request.getHttpURI().getDecodedPath().lastIndexOf('/') + 1)));
      default -> notFound(x);
    }
  }

  /** The path's shape: literal segments, UIDs as {@code S}, a frame list as {@code F}. */
  private static String resource(String[] p) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i < p.length; i++) {
      if (i > 1) {
        sb.append('/');
      }
      boolean uid = i % 2 == 0 && i < 8;
      sb.append(uid ? "S" : i == 8 && p[7].equals("frames") ? "F" : p[i]);
    }
    return sb.toString();
  }

  private void instance(Exchange x, InstanceKey key) throws IOException {
    switch (x.method()) {
      case "GET" -> {
        if (WadoEndpoints.wantsMultipart(x)) {
          wado.retrieve(x, key.studyUid(), key.seriesUid(), key.sopInstanceUid());
        } else {
          blobs.read(x, key, false);
        }
      }
      case "HEAD" -> blobs.read(x, key, true);
      case "POST" -> blobs.write(x, key, InstanceStore.WriteMode.CREATE_ONLY);
      case "PUT" -> blobs.write(x, key, InstanceStore.WriteMode.CREATE_OR_REPLACE);
      case "DELETE" -> blobs.delete(x, key);
      default -> x.methodNotAllowed("GET, HEAD, POST, PUT, DELETE");
    }
  }

  @FunctionalInterface
  private interface Action {
    void run() throws IOException;
  }

  private static void onlyGet(Exchange x, Action action) throws IOException {
    if (x.method().equals("GET")) {
      action.run();
    } else {
      x.methodNotAllowed("GET");
    }
  }

  private static void notFound(Exchange x) {
    x.sendError(404, "not-found",
        "no such resource; see the README for the DICOMweb endpoints under /studies");
  }

  private void refresh(Exchange x) {
    KeyAccessStatus status;
    try {
      status = crypto.keyAccess().refresh();
    } catch (IllegalStateException e) {
      x.sendError(409, "no-write-key", e.getMessage());
      return;
    }
    LOG.atInfo().setMessage("dicom.cmk-refreshed")
        .addKeyValue("state", status.state())
        .addKeyValue("version", status.currentVersion())
        .log();
    x.send(200, CmkStatusJson.of(status, crypto));
  }

  private void advanceDemoClock(Exchange x) {
    String advance = Request.extractQueryParameters(x.request).getValue("advance");
    try {
      demoClock.advance(Duration.parse(advance == null ? "" : advance));
    } catch (RuntimeException e) {
      x.sendError(400, "invalid-advance", "advance must be an ISO-8601 duration of more than"
          + " 0 and at most 1 day, e.g. PT31M");
      return;
    }
    crypto.keyAccess().probeIfDue();
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("now", demoClock.instant().toString());
    fields.put("aheadBy", demoClock.offset().toString());
    x.send(200, fields);
  }
}
