package dev.cmk.examples.dicom;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * QIDO-RS: {@code GET /studies}, {@code /series}, {@code /instances}, {@code
 * /studies/{study}/series}, {@code /studies/{study}/instances} and {@code
 * /studies/{study}/series/{series}/instances}, answered from the {@link InstanceIndex} after it has
 * proven key access for the request.
 *
 * <p>Matching (PS3.18 §8.3.4): a query key is a keyword of {@link DicomDictionary} or eight hex
 * digits; an empty value is universal matching (the attribute is returned); {@code *} and {@code ?}
 * are wildcards; a value with {@code -} is a range for DA, TM and DT attributes; a UI value may
 * list several UIDs separated by {@code ,} or {@code \}; person names match case-insensitively;
 * a multi-valued attribute matches if one value does. {@code ModalitiesInStudy} (and {@code
 * Modality} at study level) match if a series of the study does. {@code limit}, {@code offset},
 * {@code includefield} (keywords, tags or {@code all}); {@code fuzzymatching} is accepted and
 * ignored.
 *
 * <p><b>Thread safety:</b> stateless apart from the thread-safe index.
 */
final class QidoEndpoint {
  /** The level a search returns. */
  enum Level { STUDY, SERIES, INSTANCE }

  private static final int[] STUDY_FIELDS = {0x00080005, 0x00080020, 0x00080030, 0x00080050,
      0x00080090, 0x00081030, 0x00100010, 0x00100020, 0x00100030, 0x00100040, 0x0020000D,
      0x00200010};
  private static final int[] SERIES_FIELDS = {0x00080005, 0x00080060, 0x0008103E, 0x0020000D,
      0x0020000E, 0x00200011};
  private static final int[] INSTANCE_FIELDS = {0x00080005, 0x00080016, 0x00080018, 0x0020000D,
      0x0020000E, 0x00200013, 0x00280008, 0x00280010, 0x00280011, 0x00280100};
  private static final int MAX_LIMIT = 10_000;

  private final InstanceIndex index;

  QidoEndpoint(InstanceIndex index) {
    this.index = index;
  }

  void search(Exchange x, Level level, String study, String series) throws IOException {
    Map<Integer, String> query = new LinkedHashMap<>();
    Set<Integer> include = new LinkedHashSet<>();
    boolean all = false;
    int limit = MAX_LIMIT;
    int offset = 0;
    Fields params = Request.extractQueryParameters(x.request, StandardCharsets.UTF_8);
    for (Fields.Field f : params) {
      String name = f.getName();
      try {
        switch (name.toLowerCase(Locale.ROOT)) {
          case "limit" -> limit = Math.min(MAX_LIMIT, Integer.parseInt(f.getValue()));
          case "offset" -> offset = Integer.parseInt(f.getValue());
          case "fuzzymatching" -> { }
          case "includefield" -> {
            for (String v : f.getValues()) {
              for (String k : v.split(",")) {
                if (k.equalsIgnoreCase("all")) {
                  all = true;
                } else {
                  include.add(tag(k.trim()));
                }
              }
            }
          }
          default -> query.put(tag(name), f.getValue());
        }
      } catch (IllegalArgumentException e) {
        x.sendError(400, "invalid-query", "unsupported or invalid query parameter: " + name);
        return;
      }
    }
    if (limit < 0 || offset < 0) {
      x.sendError(400, "invalid-query", "limit and offset must not be negative");
      return;
    }
    if (study != null) {
      query.put(DicomDictionary.STUDY_INSTANCE_UID, study);
    }
    if (series != null) {
      query.put(DicomDictionary.SERIES_INSTANCE_UID, series);
    }
    index.proveAccess();
    List<List<DicomElement>> results = new ArrayList<>();
    for (Group g : groups(level)) {
      if (matches(g, query, level)) {
        results.add(answer(g, level, query.keySet(), include, all));
      }
    }
    List<List<DicomElement>> page =
        results.subList(Math.min(offset, results.size()),
            (int) Math.min(results.size(), (long) offset + limit));
    x.send(200, Exchange.DICOM_JSON, DicomJson.array(page));
  }

  private static int tag(String key) {
    OptionalInt t = DicomDictionary.tagOf(key);
    if (t.isEmpty()) {
      throw new IllegalArgumentException(key);
    }
    return t.getAsInt();
  }

  /** The instances of one study, series or instance, the first standing for the others. */
  private record Group(List<DicomElement> first, int instanceCount, Set<String> modalities,
      int seriesCount) {}

  private List<Group> groups(Level level) {
    Map<String, List<List<DicomElement>>> byKey = new LinkedHashMap<>();
    Map<String, Set<String>> studySeries = new LinkedHashMap<>();
    Map<String, Set<String>> studyModalities = new LinkedHashMap<>();
    for (Map.Entry<InstanceKey, List<DicomElement>> e : index.snapshot()) {
      InstanceKey k = e.getKey();
      String groupKey = switch (level) {
        case STUDY -> k.studyUid();
        case SERIES -> k.studyUid() + "/" + k.seriesUid();
        case INSTANCE -> k.toString();
      };
      byKey.computeIfAbsent(groupKey, g -> new ArrayList<>()).add(e.getValue());
      studySeries.computeIfAbsent(k.studyUid(), s -> new TreeSet<>()).add(k.seriesUid());
      Set<String> modalities = studyModalities.computeIfAbsent(k.studyUid(), s -> new TreeSet<>());
      ParsedInstance.find(e.getValue(), DicomDictionary.MODALITY).map(DicomElement::text)
          .filter(m -> !m.isEmpty()).ifPresent(modalities::add);
    }
    List<Group> groups = new ArrayList<>();
    for (Map.Entry<String, List<List<DicomElement>>> e : byKey.entrySet()) {
      List<DicomElement> first = e.getValue().get(0);
      String studyUid = ParsedInstance.find(first, DicomDictionary.STUDY_INSTANCE_UID)
          .map(DicomElement::text).orElse("");
      groups.add(new Group(first, e.getValue().size(),
          studyModalities.getOrDefault(studyUid, Set.of()),
          studySeries.getOrDefault(studyUid, Set.of()).size()));
    }
    return groups;
  }

  private static boolean matches(Group g, Map<Integer, String> query, Level level) {
    for (Map.Entry<Integer, String> q : query.entrySet()) {
      String wanted = q.getValue();
      if (wanted == null || wanted.isEmpty()) {
        continue;
      }
      int tag = q.getKey();
      if (tag == DicomDictionary.MODALITIES_IN_STUDY
          || (tag == DicomDictionary.MODALITY && level == Level.STUDY)) {
        if (g.modalities().stream().noneMatch(m -> matchOne(m, wanted, "CS"))) {
          return false;
        }
        continue;
      }
      DicomElement e = ParsedInstance.find(g.first(), tag).orElse(null);
      if (e == null || e.isSequence() || !matchValue(e, wanted)) {
        return false;
      }
    }
    return true;
  }

  /** Whether one of the element's values matches the query value. */
  static boolean matchValue(DicomElement e, String wanted) {
    String vr = e.vr().equals("UN") ? DicomDictionary.vrOf(e.tag()) : e.vr();
    for (String v : e.text().split("\\\\", -1)) {
      if (matchOne(v.trim(), wanted, vr)) {
        return true;
      }
    }
    return false;
  }

  static boolean matchOne(String value, String wanted, String vr) {
    if (vr.equals("UI")) {
      for (String uid : wanted.split("[,\\\\]")) {
        if (uid.trim().equals(value)) {
          return true;
        }
      }
      return false;
    }
    if ((vr.equals("DA") || vr.equals("TM") || vr.equals("DT")) && wanted.contains("-")) {
      int dash = wanted.indexOf('-');
      String from = wanted.substring(0, dash).trim();
      String to = wanted.substring(dash + 1).trim();
      return !value.isEmpty() && (from.isEmpty() || value.compareTo(from) >= 0)
          && (to.isEmpty() || value.compareTo(to.length() < value.length()
              ? to + "\uffff" : to) <= 0);
    }
    boolean insensitive = vr.equals("PN");
    String v = insensitive ? value.toUpperCase(Locale.ROOT) : value;
    String w = insensitive ? wanted.toUpperCase(Locale.ROOT) : wanted;
    if (w.indexOf('*') >= 0 || w.indexOf('?') >= 0) {
      StringBuilder re = new StringBuilder();
      for (char c : w.toCharArray()) {
        re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
      }
      return Pattern.compile(re.toString(), Pattern.DOTALL).matcher(v).matches();
    }
    return v.equals(w);
  }

  private static List<DicomElement> answer(Group g, Level level, Set<Integer> queried,
      Set<Integer> include, boolean all) {
    Map<Integer, DicomElement> out = new LinkedHashMap<>();
    if (all) {
      for (DicomElement e : g.first()) {
        out.putIfAbsent(e.tag(), e);
      }
    }
    int[] defaults = switch (level) {
      case STUDY -> STUDY_FIELDS;
      case SERIES -> SERIES_FIELDS;
      case INSTANCE -> INSTANCE_FIELDS;
    };
    Set<Integer> wanted = new LinkedHashSet<>();
    for (int t : defaults) {
      wanted.add(t);
    }
    wanted.addAll(queried);
    wanted.addAll(include);
    for (int t : wanted) {
      ParsedInstance.find(g.first(), t).ifPresent(e -> out.putIfAbsent(t, e));
    }
    if (level == Level.STUDY) {
      out.put(DicomDictionary.MODALITIES_IN_STUDY, DicomElement.ofText(
          DicomDictionary.MODALITIES_IN_STUDY, "CS", String.join("\\", g.modalities())));
      out.put(DicomDictionary.NUMBER_OF_STUDY_RELATED_SERIES, DicomElement.ofText(
          DicomDictionary.NUMBER_OF_STUDY_RELATED_SERIES, "IS", "" + g.seriesCount()));
      out.put(DicomDictionary.NUMBER_OF_STUDY_RELATED_INSTANCES, DicomElement.ofText(
          DicomDictionary.NUMBER_OF_STUDY_RELATED_INSTANCES, "IS", "" + g.instanceCount()));
    } else if (level == Level.SERIES) {
      out.put(DicomDictionary.NUMBER_OF_SERIES_RELATED_INSTANCES, DicomElement.ofText(
          DicomDictionary.NUMBER_OF_SERIES_RELATED_INSTANCES, "IS", "" + g.instanceCount()));
    }
    return new ArrayList<>(out.values());
  }
}
