package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The search criteria of a conditional create ({@code If-None-Exist}) or conditional update
 * ({@code PUT [type]?criteria}): {@code _id} and {@code identifier} ({@code system|value}, {@code
 * value}, {@code |value}, {@code system|}), each with comma-separated alternatives (FHIR escapes
 * {@code \,} {@code \|} {@code \\} honoured); several parameters must all hold. Any other
 * parameter, a modifier, or no criterion at all is refused with HTTP 400, never ignored: ignoring
 * a criterion would match more resources than the client asked for.
 *
 * @param criteria the parameters, all of which must hold
 */
public record ConditionalUrl(List<Criterion> criteria) {
  /** Parameters that are not criteria and are skipped. */
  private static final List<String> NOT_CRITERIA = List.of("_format", "_pretty");

  /**
   * One parameter: any of its alternatives matches.
   *
   * @param id true for {@code _id}, false for {@code identifier}
   * @param alternatives {@code _id}: ids; {@code identifier}: {@link Token}s
   */
  public record Criterion(boolean id, List<Object> alternatives) {
    /** Validates and copies. */
    public Criterion {
      alternatives = List.copyOf(alternatives);
    }
  }

  /**
   * One identifier alternative.
   *
   * @param system the system; empty for "no system" ({@code |value}); null for any system
   * @param value the value, or null for any value ({@code system|})
   */
  public record Token(String system, String value) {
    /** Validates. */
    public Token {
      if (system == null && value == null) {
        throw new IllegalArgumentException("a token needs a system or a value");
      }
    }

    /** {@return the blind-index token that finds this alternative} */
    public String indexToken(BlindIndex.Hasher h) {
      if (value == null) {
        return h.system(system);
      }
      return system == null ? h.value(value) : h.systemAndValue(system, value);
    }
  }

  /** Validates and copies. */
  public ConditionalUrl {
    criteria = List.copyOf(criteria);
    if (criteria.isEmpty()) {
      throw new InvalidRequestException("a conditional request needs search criteria");
    }
  }

  /**
   * Parses the criteria.
   *
   * @param resourceType the type the request is for
   * @param url {@code [type]?query}, {@code ?query} or {@code query} (If-None-Exist)
   * @return the criteria
   * @throws InvalidRequestException (HTTP 400) for another type, an unsupported parameter or
   *     modifier, an empty value, or no criteria
   */
  public static ConditionalUrl parse(String resourceType, String url) {
    Objects.requireNonNull(resourceType, "resourceType");
    Objects.requireNonNull(url, "url");
    String query = url;
    int q = url.indexOf('?');
    if (q >= 0) {
      String path = url.substring(0, q);
      if (path.startsWith("/")) {
        path = path.substring(1);
      }
      if (!path.isEmpty() && !path.equals(resourceType)) {
        throw new InvalidRequestException("the condition is for " + resourceType
            + " resources, not " + path);
      }
      query = url.substring(q + 1);
    }
    List<Criterion> criteria = new ArrayList<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (NOT_CRITERIA.contains(name)) {
        continue;
      }
      List<String> alternatives = split(value, ',');
      if (alternatives.stream().anyMatch(String::isEmpty)) {
        throw new InvalidRequestException("empty value for the search parameter " + name);
      }
      if (name.equals("_id")) {
        criteria.add(new Criterion(true, new ArrayList<>(alternatives)));
      } else if (name.equals("identifier")) {
        List<Object> tokens = new ArrayList<>();
        for (String a : alternatives) {
          tokens.add(token(a));
        }
        criteria.add(new Criterion(false, tokens));
      } else {
        throw new InvalidRequestException("conditional requests support only the search"
            + " parameters _id and identifier (no modifiers), not " + name);
      }
    }
    return new ConditionalUrl(criteria);
  }

  /**
   * The alternative HAPI parsed from a search's {@code identifier} parameter.
   *
   * @param t the token parameter
   * @return the alternative
   * @throws InvalidRequestException for a modifier or a missing value and system
   */
  static Token token(ca.uhn.fhir.rest.param.TokenParam t) {
    if (t.getModifier() != null || t.isText()) {
      throw new InvalidRequestException("identifier searches take no modifiers");
    }
    String value = t.getValue() == null || t.getValue().isEmpty() ? null : t.getValue();
    if (value == null && (t.getSystem() == null || t.getSystem().isEmpty())) {
      throw new InvalidRequestException("an identifier search needs a value or a system");
    }
    return new Token(t.getSystem(), value);
  }

  private static Token token(String s) {
    List<String> parts = split(s, '|');
    if (parts.size() == 1) {
      return new Token(null, unescape(parts.get(0)));
    }
    if (parts.size() != 2 || (parts.get(0).isEmpty() && parts.get(1).isEmpty())) {
      throw new InvalidRequestException("identifier values are system|value, value, |value or"
          + " system|");
    }
    String system = unescape(parts.get(0));
    String value = parts.get(1).isEmpty() ? null : unescape(parts.get(1));
    return new Token(system, value);
  }

  /** Splits on unescaped {@code sep}, keeping escapes for a later split. */
  private static List<String> split(String s, char sep) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        cur.append(c).append(s.charAt(++i));
      } else if (c == sep) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(c == '\\' && i + 1 < s.length() ? s.charAt(++i) : c);
    }
    return out.toString();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("the conditional URL is not well encoded");
    }
  }
}
