package dev.cmk.testkit.keyvault;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Paging of list answers as Key Vault pages them: at most {@code maxresults} items per page (1-25,
 * default 25), and a {@code nextLink} (the same list with {@code $skiptoken} and {@code
 * maxresults}) while more items follow; {@code nextLink} is {@code null} on the last page. The skip
 * token is opaque to clients (here: a base64url offset into the list).
 *
 * @param maxResults items per page
 * @param offset index of the first item of this page
 * @param apiVersion the request's api-version, repeated in {@code nextLink}
 */
record Paging(int maxResults, int offset, String apiVersion) {
  /** Key Vault's page size and the largest {@code maxresults} it accepts. */
  static final int MAX_RESULTS = 25;

  /**
   * The paging a list request asks for.
   *
   * @throws KeyVaultError 400 {@code BadParameter} for a {@code maxresults} outside 1-25 or a
   *     skip token this server did not issue
   */
  static Paging of(Map<String, String> query) {
    int max = MAX_RESULTS;
    String raw = query.get("maxresults");
    if (raw != null) {
      try {
        max = Integer.parseInt(raw);
      } catch (NumberFormatException e) {
        max = -1;
      }
      if (max < 1 || max > MAX_RESULTS) {
        throw KeyVaultError.badParameter(
            "The parameter maxresults has an invalid value: " + raw
                + ". It must be between 1 and " + MAX_RESULTS + ".");
      }
    }
    int offset = 0;
    String token = query.get("$skiptoken");
    if (token != null) {
      try {
        offset =
            Integer.parseInt(new String(Json.fromBase64Url(token, "$skiptoken"), StandardCharsets.US_ASCII));
      } catch (NumberFormatException | KeyVaultError e) {
        offset = -1;
      }
      if (offset < 0) {
        throw KeyVaultError.badParameter("The skip token is invalid.");
      }
    }
    return new Paging(max, offset, query.get("api-version"));
  }

  /**
   * One page of {@code items}.
   *
   * @param listUrl the list's URL without query, e.g. {@code https://host:port/keys}
   */
  Map<String, Object> page(List<Object> items, String listUrl) {
    int from = Math.min(offset, items.size());
    int to = Math.min(items.size(), from + maxResults);
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("value", List.copyOf(items.subList(from, to)));
    page.put(
        "nextLink",
        to < items.size()
            ? listUrl
                + "?api-version="
                + apiVersion
                + "&$skiptoken="
                + Json.base64Url(Integer.toString(to).getBytes(StandardCharsets.US_ASCII))
                + "&maxresults="
                + maxResults
            : null);
    return page;
  }
}
