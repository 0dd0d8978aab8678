package dev.cmk.examples.fhir.internal;

import ca.uhn.fhir.rest.param.DateAndListParam;
import ca.uhn.fhir.rest.param.DateOrListParam;
import ca.uhn.fhir.rest.param.DateParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FHIR R4 date search semantics for {@code _lastUpdated}, whose target is an instant.
 *
 * <p>A search value is the range {@code [lower, upper)} its precision covers: {@code 2026-11-24}
 * is that whole day, {@code 2026-11-24T10:00:00Z} that second, {@code 2026-11-24T10:00:00.5Z} that
 * tenth of a second. A value without a time zone (a date, a year-month or a year, or a time without
 * an offset) is read in UTC. Against a resource's last-updated instant {@code t} the prefixes mean
 * (FHIR R4 search, "date"): {@code eq} {@code lower <= t < upper}; {@code ne} {@code t < lower or t
 * >= upper}; {@code lt} and {@code eb} {@code t < lower}; {@code le} {@code t < upper}; {@code gt}
 * and {@code sa} {@code t >= upper}; {@code ge} {@code t >= lower}. {@code ap} is refused (400).
 * Repeated parameters are combined with AND, comma-separated values with OR.
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class LastUpdatedSearch {
  private static final Pattern VALUE = Pattern.compile(
      "(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?"
          + "(Z|[+\\- ]\\d{2}:\\d{2})?)?)?)?");

  private LastUpdatedSearch() {}

  /**
   * The conditions of a {@code _lastUpdated} parameter: every element must hold, and an element
   * holds when the instant lies in any of its ranges.
   *
   * @param param the bound parameter, or {@code null} when absent
   * @return the conditions; empty for no condition
   * @throws InvalidRequestException (HTTP 400) for a value or prefix this server does not support
   */
  static List<List<InstantRange>> conditions(DateAndListParam param) {
    List<List<InstantRange>> out = new ArrayList<>();
    if (param == null) {
      return out;
    }
    for (DateOrListParam or : param.getValuesAsQueryTokens()) {
      List<InstantRange> union = new ArrayList<>();
      for (DateParam p : or.getValuesAsQueryTokens()) {
        union.addAll(ranges(p));
      }
      out.add(union);
    }
    return out;
  }

  /**
   * The ranges (a union) in which a resource's last-updated instant matches one value.
   *
   * @param param one value with its prefix
   * @return the ranges; empty when nothing can match
   * @throws InvalidRequestException (HTTP 400) for an unsupported value or prefix
   */
  static List<InstantRange> ranges(DateParam param) {
    if (param.getMissing() != null) {
      // Every resource has a last-updated instant.
      return param.getMissing() ? List.of() : List.of(InstantRange.ALL);
    }
    InstantRange value = valueRange(param.getValueAsString());
    ParamPrefixEnum prefix = param.getPrefix() == null ? ParamPrefixEnum.EQUAL : param.getPrefix();
    switch (prefix) {
      case EQUAL:
        return List.of(value);
      case NOT_EQUAL:
        return List.of(InstantRange.before(value.from()), InstantRange.atOrAfter(value.until()));
      case LESSTHAN:
      case ENDS_BEFORE:
        return List.of(InstantRange.before(value.from()));
      case LESSTHAN_OR_EQUALS:
        return List.of(InstantRange.before(value.until()));
      case GREATERTHAN:
      case STARTS_AFTER:
        return List.of(InstantRange.atOrAfter(value.until()));
      case GREATERTHAN_OR_EQUALS:
        return List.of(InstantRange.atOrAfter(value.from()));
      default:
        throw new InvalidRequestException(
            "_lastUpdated: the prefix " + prefix.getValue() + " is not supported");
    }
  }

  /**
   * The range {@code [lower, upper)} a date search value covers at its precision.
   *
   * @param value e.g. {@code 2026}, {@code 2026-11-24}, {@code 2026-11-24T10:00:00.250+01:00}
   * @return the range, both bounds present
   * @throws InvalidRequestException (HTTP 400) if the value is not a FHIR date or date-time
   */
  static InstantRange valueRange(String value) {
    Matcher m = value == null ? null : VALUE.matcher(value);
    if (m == null || !m.matches()) {
      throw invalid();
    }
    String month = m.group(2);
    String day = m.group(3);
    String hour = m.group(4);
    String second = m.group(6);
    String fraction = m.group(7);
    String offset = m.group(8);
    // The precision is the smallest field given; the value covers one unit of it (for a fraction
    // of n digits, 10^(9-n) nanoseconds).
    ChronoUnit unit = month == null ? ChronoUnit.YEARS
        : day == null ? ChronoUnit.MONTHS
        : hour == null ? ChronoUnit.DAYS
        : second == null ? ChronoUnit.MINUTES
        : fraction == null ? ChronoUnit.SECONDS
        : ChronoUnit.NANOS;
    long units = 1;
    for (int digits = fraction == null ? 9 : fraction.length(); digits < 9; digits++) {
      units *= 10;
    }
    try {
      LocalDateTime start = LocalDateTime.of(
          Integer.parseInt(m.group(1)),
          month == null ? 1 : Integer.parseInt(month),
          day == null ? 1 : Integer.parseInt(day),
          hour == null ? 0 : Integer.parseInt(hour),
          hour == null ? 0 : Integer.parseInt(m.group(5)),
          second == null ? 0 : Integer.parseInt(second),
          fraction == null ? 0 : Integer.parseInt((fraction + "00000000").substring(0, 9)));
      ZoneOffset zone = offset == null
          ? ZoneOffset.UTC
          // A '+' in a query string that was not percent-encoded arrives as a space.
          : ZoneOffset.of(offset.replace(' ', '+'));
      return new InstantRange(start.toInstant(zone), start.plus(units, unit).toInstant(zone));
    } catch (java.time.DateTimeException e) {
      throw invalid();
    }
  }

  private static InvalidRequestException invalid() {
    return new InvalidRequestException("_lastUpdated: not a FHIR date or date-time"
        + " (examples: 2026, 2026-11, 2026-11-24, 2026-11-24T10:00:00Z, 2026-11-24T10:00:00.250+01:00)");
  }
}
