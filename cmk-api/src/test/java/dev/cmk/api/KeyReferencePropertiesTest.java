package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.arbitraries.StringArbitrary;

/**
 * Properties of {@link KeyReference#parse}: every generated valid reference parses and survives
 * {@code parse(toString())}; any string at all either parses (and then round-trips) or is refused
 * with an {@link IllegalArgumentException}, never another exception.
 */
class KeyReferencePropertiesTest {

  /** A reference as typed, with what parsing must find in it. */
  record Generated(String text, KeyReference.Kind kind, String name, String version) {}

  private static final Set<String> RESERVED_PKCS11 = Set.of("token", "object", "id", "type", "pin-value");
  private static final String HEX = "0123456789abcdefABCDEF";
  private static final char[] NAME_CHARS =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-".toCharArray();
  private static final char[] VERSION_CHARS =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-".toCharArray();

  @Property(tries = 600)
  void parse_generatedValidReference_roundTripsThroughToString(
      @ForAll("validReferences") Generated g) {
    KeyReference r = KeyReference.parse(g.text());
    assertEquals(g.kind(), r.kind());
    assertEquals(g.name(), r.name());
    String expectedVersion =
        g.version() != null && g.kind() != KeyReference.Kind.PKCS11 && g.kind() != KeyReference.Kind.LOCAL
            ? g.version().toLowerCase(Locale.ROOT) // Azure versions are hexadecimal, case-folded
            : g.version();
    assertEquals(expectedVersion, r.version().orElse(null));
    KeyReference again = KeyReference.parse(r.toString());
    assertEquals(r, again);
    assertEquals(r.toString(), again.toString());
    assertEquals(r.hashCode(), again.hashCode());
    assertEquals(r.pkcs11Attributes(), again.pkcs11Attributes());
    assertEquals(r.authority(), again.authority());
    assertEquals(r.versionless(), again.versionless());
  }

  @Property(tries = 1500)
  void parse_anyString_parsesAndRoundTripsOrThrowsIllegalArgument(
      @ForAll("arbitraryReferenceText") String text) {
    KeyReference r;
    try {
      r = KeyReference.parse(text);
    } catch (IllegalArgumentException expected) {
      return;
    }
    assertEquals(r, KeyReference.parse(r.toString()));
  }

  // ------------------------------------------------------------------------------ generators

  @Provide
  Arbitrary<Generated> validReferences() {
    return Arbitraries.oneOf(azure(), pkcs11(), local());
  }

  private static StringArbitrary keyName() {
    return Arbitraries.strings().withChars(NAME_CHARS).ofMinLength(1).ofMaxLength(127);
  }

  private static Arbitrary<String> localVersion() {
    return Arbitraries.strings().withChars(VERSION_CHARS).ofMinLength(1).ofMaxLength(64);
  }

  private static Arbitrary<String> vaultName() {
    Arbitrary<Character> first = Arbitraries.chars().range('a', 'z').range('A', 'Z');
    Arbitrary<String> middle =
        Arbitraries.strings()
            .withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".toCharArray())
            .ofMinLength(1)
            .ofMaxLength(22);
    Arbitrary<Character> last = Arbitraries.chars().range('a', 'z').range('0', '9');
    return Combinators.combine(first, middle, last)
        .as((f, m, l) -> f + m + l)
        .filter(s -> !s.contains("--"));
  }

  private static Arbitrary<Generated> azure() {
    Arbitrary<String> suffix =
        Arbitraries.of(
            ".vault.azure.net",
            ".vault.azure.cn",
            ".vault.usgovcloudapi.net",
            ".vault.microsoftazure.de",
            ".managedhsm.azure.net",
            ".managedhsm.azure.cn",
            ".managedhsm.usgovcloudapi.net");
    Arbitrary<String> port =
        Arbitraries.oneOf(
            Arbitraries.just(""), Arbitraries.integers().between(1, 65535).map(p -> ":" + p));
    Arbitrary<String> version =
        Arbitraries.strings().withChars(HEX.toCharArray()).ofLength(32).injectNull(0.3);
    Arbitrary<Boolean> trailingSlash = Arbitraries.of(true, false);
    return Combinators.combine(vaultName(), suffix, port, keyName(), version, trailingSlash)
        .as(
            (vault, sfx, p, name, v, slash) ->
                new Generated(
                    "https://" + vault + sfx + p + "/keys/" + name + (v == null ? "" : "/" + v)
                        + (slash ? "/" : ""),
                    sfx.startsWith(".vault")
                        ? KeyReference.Kind.AZURE_KEY_VAULT
                        : KeyReference.Kind.AZURE_MANAGED_HSM,
                    name,
                    v));
  }

  private static Arbitrary<Generated> local() {
    Arbitrary<String> version = localVersion().injectNull(0.3);
    return Combinators.combine(keyName(), version)
        .as(
            (name, v) ->
                new Generated(
                    "local:" + name + (v == null ? "" : "/" + v), KeyReference.Kind.LOCAL, name, v));
  }

  private static Arbitrary<Generated> pkcs11() {
    Arbitrary<String> token =
        Arbitraries.strings().ofMaxLength(16).filter(KeyReferencePropertiesTest::validUtf16);
    Arbitrary<String> version = localVersion().injectNull(0.3);
    Arbitrary<Map<String, String>> extra =
        Arbitraries.maps(
                Arbitraries.strings()
                    .withChars("abcdefghijklmnopqrstuvwxyz0123456789-".toCharArray())
                    .ofMinLength(1)
                    .ofMaxLength(12)
                    .filter(n -> Character.isLetter(n.charAt(0)) && !RESERVED_PKCS11.contains(n)),
                Arbitraries.strings().ofMaxLength(8).filter(KeyReferencePropertiesTest::validUtf16))
            .ofMaxSize(3);
    Arbitrary<Boolean> shuffle = Arbitraries.of(true, false);
    return Combinators.combine(token, keyName().ofMaxLength(40), version, extra, shuffle)
        .as(
            (t, name, v, attrs, reverse) -> {
              List<String> parts = new ArrayList<>();
              parts.add("token=" + encodeAll(t));
              parts.add("object=" + encodeAll(name));
              if (v != null) {
                parts.add("id=" + v);
              }
              new TreeMap<>(attrs).forEach((k, val) -> parts.add(k + "=" + encodeAll(val)));
              if (reverse) {
                Collections.reverse(parts);
              }
              return new Generated(
                  "pkcs11:" + String.join(";", parts), KeyReference.Kind.PKCS11, name, v);
            });
  }

  private static boolean validUtf16(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
  }

  /** Percent-encodes every byte in lower-case hex: the parser must not depend on the spelling. */
  private static String encodeAll(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      sb.append('%').append(String.format("%02x", b & 0xff));
    }
    return sb.toString();
  }

  @Provide
  Arbitrary<String> arbitraryReferenceText() {
    Arbitrary<String> anything = Arbitraries.strings().ofMaxLength(80);
    Arbitrary<String> printable = Arbitraries.strings().ascii().ofMaxLength(80);
    Arbitrary<String> schemeThenJunk =
        Combinators.combine(
                Arbitraries.of(
                    "https://",
                    "HTTPS://v",
                    "https://myvault.vault.azure.net",
                    "https://myvault.vault.azure.net:",
                    "https://myvault.vault.azure.net/keys/",
                    "https://myhsm.managedhsm.azure.net/keys/k/",
                    "pkcs11:",
                    "pkcs11:object=k;",
                    "pkcs11:object=k;token=%",
                    "local:",
                    "local:k/"),
                Arbitraries.strings()
                    .withChars("%;=/?#:.-_!@0123456789abcdefABCDEFkeysvault \u00e9\u0000".toCharArray())
                    .ofMaxLength(60))
            .as((a, b) -> a + b);
    return Arbitraries.oneOf(anything, printable, schemeThenJunk);
  }
}
