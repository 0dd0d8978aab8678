package dev.cmk.examples.fhir;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server that {@code ./test.sh} starts ({@code CMK_TEST_POSTGRES_URL}, {@code
 * _USER}, {@code _PASSWORD}). Without it the test skips, saying why; with {@code CI=true} it
 * fails instead.
 */
final class TestPostgres {
  private TestPostgres() {}

  /** {@return the JDBC URL with the credentials as parameters, as the server's options take it} */
  static String url() {
    Map<String, String> env = System.getenv();
    String url = env.get("CMK_TEST_POSTGRES_URL");
    if (url == null || url.isBlank()) {
      String why = "CMK_TEST_POSTGRES_URL is not set: no PostgreSQL server to test on"
          + " (./test.sh starts one and sets it)";
      if ("true".equals(env.get("CI"))) {
        fail(why + "; CI=true, so this is a failure, not a skip");
      }
      Assumptions.abort(why);
    }
    return url + (url.contains("?") ? "&" : "?")
        + "user=" + enc(env.getOrDefault("CMK_TEST_POSTGRES_USER", ""))
        + "&password=" + enc(env.getOrDefault("CMK_TEST_POSTGRES_PASSWORD", ""));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
