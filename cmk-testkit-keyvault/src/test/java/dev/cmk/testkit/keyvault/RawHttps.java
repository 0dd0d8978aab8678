package dev.cmk.testkit.keyvault;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;

/**
 * Raw HTTPS calls to a loopback server, for tests that check the wire itself (status, JSON body,
 * headers) without the Azure SDK in between.
 */
final class RawHttps {
  private RawHttps() {}

  /**
   * One exchange.
   *
   * @param status the HTTP status
   * @param body the JSON object answered, or {@code null} when the body was empty
   * @param connection the finished connection, for the response headers
   */
  record Exchange(int status, Map<String, Object> body, HttpsURLConnection connection) {}

  /**
   * Sends one request, trusting exactly the server's certificate.
   *
   * @param server the loopback server
   * @param method the HTTP method
   * @param url the full URL
   * @param headers request headers to set
   * @param json the JSON body, or {@code null} for none
   * @return the exchange
   * @throws IOException if the exchange fails
   */
  static Exchange send(
      LoopbackKeyVault server, String method, String url, Map<String, String> headers, String json)
      throws IOException {
    HttpsURLConnection c = (HttpsURLConnection) URI.create(url).toURL().openConnection();
    c.setSSLSocketFactory(server.clientSslContext().getSocketFactory());
    c.setRequestMethod(method);
    headers.forEach(c::setRequestProperty);
    if (json != null) {
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "application/json");
      try (OutputStream out = c.getOutputStream()) {
        out.write(json.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      byte[] bytes = in == null ? new byte[0] : in.readAllBytes();
      return new Exchange(status, bytes.length == 0 ? null : parse(bytes), c);
    }
  }

  /** Parses a JSON object. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> parse(byte[] json) throws IOException {
    try (JsonReader r = JsonProviders.createReader(json)) {
      r.nextToken();
      return (Map<String, Object>) r.readUntyped();
    }
  }
}
