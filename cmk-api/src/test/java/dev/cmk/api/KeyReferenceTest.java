package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyReferenceTest {
  private static final String VERSION = "0123456789abcdef0123456789abcdef";

  private static void assertRejected(String reference, String rule) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KeyReference.parse(reference));
    assertTrue(
        e.getMessage().contains(rule),
        "message for " + reference + " should name the rule '" + rule + "': " + e.getMessage());
  }

  // ------------------------------------------------------------------------ Azure Key Vault

  @Test
  void parse_keyVaultVersionless_exposesParts() {
    KeyReference r = KeyReference.parse("https://myvault.vault.azure.net/keys/patient-data");
    assertEquals(KeyReference.Kind.AZURE_KEY_VAULT, r.kind());
    assertEquals("myvault.vault.azure.net", r.authority());
    assertEquals("myvault", r.vaultName());
    assertEquals(Optional.of("https://myvault.vault.azure.net"), r.vaultUrl());
    assertEquals("patient-data", r.name());
    assertFalse(r.isVersioned());
    assertEquals(Optional.empty(), r.version());
    assertEquals(Map.of(), r.pkcs11Attributes());
    assertEquals("https://myvault.vault.azure.net/keys/patient-data", r.toString());
  }

  @Test
  void parse_keyVaultVersioned_lowercasesVersionAndHost() {
    KeyReference r =
        KeyReference.parse("HTTPS://MyVault.Vault.Azure.NET/keys/k/" + VERSION.toUpperCase());
    assertEquals(Optional.of(VERSION), r.version());
    assertEquals("https://myvault.vault.azure.net/keys/k/" + VERSION, r.toString());
    assertEquals(KeyReference.parse("https://myvault.vault.azure.net/keys/k/" + VERSION), r);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://myvault.vault.azure.net/keys/k",
        "https://myvault.vault.azure.cn/keys/k",
        "https://myvault.vault.usgovcloudapi.net/keys/k",
        "https://myvault.vault.microsoftazure.de/keys/k"
      })
  void parse_keyVaultInEachCloud_isKeyVault(String reference) {
    KeyReference r = KeyReference.parse(reference);
    assertEquals(KeyReference.Kind.AZURE_KEY_VAULT, r.kind());
    assertEquals("myvault", r.vaultName());
    assertEquals(reference, r.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://myhsm.managedhsm.azure.net/keys/k",
        "https://myhsm.managedhsm.azure.cn/keys/k",
        "https://myhsm.managedhsm.usgovcloudapi.net/keys/k"
      })
  void parse_managedHsmInEachCloud_isManagedHsm(String reference) {
    KeyReference r = KeyReference.parse(reference);
    assertEquals(KeyReference.Kind.AZURE_MANAGED_HSM, r.kind());
    assertEquals("myhsm", r.vaultName());
    assertEquals(reference, r.toString());
  }

  @Test
  void parse_explicitPort_isKeptExceptDefault443() {
    KeyReference loopback = KeyReference.parse("https://myvault.vault.azure.net:8443/keys/k");
    assertEquals("myvault.vault.azure.net:8443", loopback.authority());
    assertEquals(Optional.of("https://myvault.vault.azure.net:8443"), loopback.vaultUrl());
    assertEquals("myvault", loopback.vaultName());
    assertEquals(
        KeyReference.parse("https://myvault.vault.azure.net/keys/k"),
        KeyReference.parse("https://myvault.vault.azure.net:443/keys/k"));
  }

  @Test
  void parse_portWithLeadingZeros_isTheSameKey() {
    assertEquals(
        KeyReference.parse("https://myvault.vault.azure.net:8443/keys/k"),
        KeyReference.parse("https://myvault.vault.azure.net:08443/keys/k"));
    assertEquals(
        "https://myvault.vault.azure.net:80/keys/k",
        KeyReference.parse("https://myvault.vault.azure.net:080/keys/k").toString());
  }

  @Test
  void parse_trailingSlash_isIgnored() {
    assertEquals(
        KeyReference.parse("https://myvault.vault.azure.net/keys/k"),
        KeyReference.parse("https://myvault.vault.azure.net/keys/k/"));
    assertEquals(
        KeyReference.parse("https://myvault.vault.azure.net/keys/k/" + VERSION),
        KeyReference.parse("https://myvault.vault.azure.net/keys/k/" + VERSION + "/"));
  }

  @Test
  void parse_vaultNameOf3And24Characters_isAccepted() {
    KeyReference.parse("https://abc.vault.azure.net/keys/k");
    KeyReference.parse("https://a" + "b".repeat(22) + "c.vault.azure.net/keys/k");
    KeyReference.parse("https://a-b-c.vault.azure.net/keys/k");
  }

  @Test
  void parse_keyNameOf127Characters_isAccepted() {
    assertEquals(
        127,
        KeyReference.parse("https://myvault.vault.azure.net/keys/" + "k".repeat(127)).name().length());
  }

  @Test
  void parse_vaultNameOf2Characters_isRejected() {
    assertRejected("https://ab.vault.azure.net/keys/k", "vault name must be 3-24 characters");
  }

  @Test
  void parse_vaultNameOf25Characters_isRejected() {
    assertRejected(
        "https://" + "a".repeat(25) + ".vault.azure.net/keys/k", "vault name must be 3-24 characters");
  }

  @Test
  void parse_managedHsmNameOf2Characters_namesManagedHsm() {
    assertRejected("https://ab.managedhsm.azure.net/keys/k", "Managed HSM name must be 3-24");
  }

  @Test
  void parse_vaultNameWithLeadingDigit_isRejected() {
    assertRejected("https://1vault.vault.azure.net/keys/k", "start with a letter");
  }

  @Test
  void parse_vaultNameWithDoubleHyphen_isRejected() {
    assertRejected("https://my--vault.vault.azure.net/keys/k", "no consecutive hyphens");
  }

  @Test
  void parse_vaultNameEndingWithHyphen_isRejected() {
    assertRejected("https://myvault-.vault.azure.net/keys/k", "end with a letter or digit");
  }

  @Test
  void parse_vaultNameWithUserInfoOrDots_isRejected() {
    assertRejected("https://user@myvault.vault.azure.net/keys/k", "vault name must contain only");
    assertRejected("https://a.myvault.vault.azure.net/keys/k", "vault name must contain only");
  }

  @Test
  void parse_keyNameOf128Characters_isRejected() {
    assertRejected(
        "https://myvault.vault.azure.net/keys/" + "k".repeat(128), "key name must be 1-127");
  }

  @Test
  void parse_keyNameWithUnderscore_isRejected() {
    assertRejected("https://myvault.vault.azure.net/keys/my_key", "key name must be 1-127");
    assertRejected("local:my_key", "key name must be 1-127");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdeg",
        "latest"
      })
  void parse_azureVersionNot32Hex_isRejected(String version) {
    assertRejected(
        "https://myvault.vault.azure.net/keys/k/" + version, "32 hexadecimal characters");
  }

  @Test
  void parse_queryString_isRejected() {
    assertRejected(
        "https://myvault.vault.azure.net/keys/k?api-version=7.4", "must not have a query");
    assertRejected("https://myvault.vault.azure.net/keys/k#frag", "must not have a query or fragment");
  }

  @Test
  void parse_hostOutsideAzure_isRejected() {
    assertRejected("https://myvault.vault.azure.com/keys/k", "host must end with");
    assertRejected("https://myvault.vault.azure.net.evil.example/keys/k", "host must end with");
    assertRejected("https://vault.azure.net/keys/k", "host must end with");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://myvault.vault.azure.net",
        "https://myvault.vault.azure.net/",
        "https://myvault.vault.azure.net/secrets/k",
        "https://myvault.vault.azure.net/keys",
        "https://myvault.vault.azure.net/keys/k/" + VERSION + "/extra",
        "https://myvault.vault.azure.net//keys/k"
      })
  void parse_pathNotKeysNameVersion_isRejected(String reference) {
    assertRejected(reference, "path must be /keys/{name}");
  }

  @Test
  void parse_portOutOfRange_isRejected() {
    assertRejected("https://myvault.vault.azure.net:0/keys/k", "port must be 1-65535");
    assertRejected("https://myvault.vault.azure.net:65536/keys/k", "port must be 1-65535");
    assertRejected("https://myvault.vault.azure.net:/keys/k", "not a valid https URL");
  }

  // --------------------------------------------------------------------------------- PKCS#11

  @Test
  void parse_pkcs11_mapsTokenObjectAndId() {
    KeyReference r = KeyReference.parse("pkcs11:token=cmk;object=patient-data;id=v2");
    assertEquals(KeyReference.Kind.PKCS11, r.kind());
    assertEquals("cmk", r.authority());
    assertEquals("cmk", r.vaultName());
    assertEquals("patient-data", r.name());
    assertEquals(Optional.of("v2"), r.version());
    assertEquals(Optional.empty(), r.vaultUrl());
    assertEquals("pkcs11:token=cmk;object=patient-data;id=v2", r.toString());
  }

  @Test
  void parse_pkcs11PercentEncoded_decodesAndReencodesCanonically() {
    KeyReference r =
        KeyReference.parse("pkcs11:object=%6B%65%79;token=My%20Token%3b%c3%a9;serial=ab%2Fcd");
    assertEquals("My Token;\u00e9", r.authority());
    assertEquals("key", r.name());
    assertEquals(Map.of("serial", "ab/cd"), r.pkcs11Attributes());
    assertEquals("pkcs11:token=My%20Token%3B%C3%A9;object=key;serial=ab%2Fcd", r.toString());
    assertEquals(r, KeyReference.parse(r.toString()));
  }

  @Test
  void parse_pkcs11AttributeOrderAndType_doNotMatter() {
    KeyReference a = KeyReference.parse("pkcs11:slot-id=1;object=k;token=t;type=private;id=v1");
    KeyReference b = KeyReference.parse("pkcs11:token=t;object=k;id=v1;slot-id=1");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals("pkcs11:token=t;object=k;id=v1;slot-id=1", a.toString());
  }

  @Test
  void parse_pkcs11BinaryId_versionIsCanonicalPercentEncoding() {
    KeyReference r = KeyReference.parse("pkcs11:token=hsm;object=k;id=%01%02%ff");
    assertEquals(Optional.of("%01%02%FF"), r.version());
    assertEquals("pkcs11:token=hsm;object=k;id=%01%02%FF", r.toString());
    assertEquals(r, KeyReference.parse(r.toString()));
    // Bytes that are unreserved characters are written as themselves: one CKA_ID, one reference.
    KeyReference text = KeyReference.parse("pkcs11:token=hsm;object=k;id=%76%32%7e");
    assertEquals(Optional.of("v2%7E"), text.version());
    assertEquals(text, KeyReference.parse("pkcs11:token=hsm;object=k;id=v2~"));
    assertEquals(r, r.versionless().withVersion("%01%02%ff"));
    assertEquals(text, text.versionless().withVersion("%762%7E"));
  }

  @Test
  void parse_pkcs11AnyLabel_isTheKeyNameAndEncodedCanonically() {
    KeyReference r = KeyReference.parse("pkcs11:token=hsm;object=HSM%20admin%20key%20%231_%C3%A9;id=%01");
    assertEquals("HSM admin key #1_\u00e9", r.name());
    assertEquals("pkcs11:token=hsm;object=HSM%20admin%20key%20%231_%C3%A9;id=%01", r.toString());
    assertEquals(r, KeyReference.parse(r.toString()));
    assertEquals("my_key", KeyReference.parse("pkcs11:object=my_key").name());
  }

  @Test
  void parse_pkcs11WithoutToken_hasEmptyAuthority() {
    KeyReference r = KeyReference.parse("pkcs11:object=k");
    assertEquals("", r.authority());
    assertFalse(r.isVersioned());
  }

  @Test
  void parse_pkcs11PinValue_isRejected() {
    assertRejected("pkcs11:token=cmk;object=k;pin-value=1234", "must not carry pin-value");
    assertRejected("pkcs11:token=cmk;object=k?pin-value=1234", "must not carry pin-value");
    assertRejected("pkcs11:token=cmk;object=k?module-name=softhsm2&PIN-VALUE=1", "pin-value");
  }

  @Test
  void parse_pkcs11OtherQuery_isRejected() {
    assertRejected("pkcs11:object=k?module-name=softhsm2", "query attributes are not supported");
  }

  @Test
  void parse_pkcs11Malformed_isRejectedNamingTheRule() {
    assertRejected("pkcs11:", "no path attributes");
    assertRejected("pkcs11:token=cmk", "must name the key with object=");
    assertRejected("pkcs11:object=k;object=l", "appears twice");
    assertRejected("pkcs11:object=k;token", "must be name=value");
    assertRejected("pkcs11:object=k;=x", "must be name=value");
    assertRejected("pkcs11:object=k;1a=x", "attribute name is not valid");
    assertRejected("pkcs11:object=k;token=%4", "truncated percent-encoding");
    assertRejected("pkcs11:object=k;token=%zz", "invalid percent-encoding");
    assertRejected("pkcs11:object=k;token=%c3%28", "not valid UTF-8");
    assertRejected("pkcs11:object=k;token=" + "t".repeat(33), "longer than 32 characters");
    assertRejected("pkcs11:object=k;type=secret-key", "type must be private or public");
    assertRejected("pkcs11:object=", "object label (the key name, CKA_LABEL) must be 1-127");
    assertRejected("pkcs11:object=" + "k".repeat(128), "must be 1-127 characters");
    assertRejected("pkcs11:object=a%0Ab", "without control characters");
    assertRejected("pkcs11:object=k;id=", "id (the key version, CKA_ID) must be 1-64 bytes");
    assertRejected("pkcs11:object=k;id=" + "%00".repeat(65), "must be 1-64 bytes");
  }

  @Test
  void parse_pkcs11WhoseCanonicalFormExceedsMaxLength_isRejected() {
    // 1,000 '!' are accepted as typed but need 3,000 characters percent-encoded.
    String reference = "pkcs11:object=k;serial=" + "!".repeat(1000);
    assertTrue(reference.length() <= KeyReference.MAX_LENGTH);
    assertRejected(reference, "longer than " + KeyReference.MAX_LENGTH);
  }

  // ----------------------------------------------------------------------------------- local

  @Test
  void parse_local_versionlessAndVersioned() {
    KeyReference k = KeyReference.parse("local:patient-data");
    assertEquals(KeyReference.Kind.LOCAL, k.kind());
    assertEquals("", k.authority());
    assertEquals("", k.vaultName());
    assertFalse(k.isVersioned());
    KeyReference v = KeyReference.parse("LOCAL:patient-data/v1.2_3-x");
    assertEquals(Optional.of("v1.2_3-x"), v.version());
    assertEquals("local:patient-data/v1.2_3-x", v.toString());
    assertEquals(KeyReference.local("patient-data", "v1.2_3-x"), v);
  }

  @Test
  void parse_localBadVersion_isRejected() {
    assertRejected("local:k/", "key version must be 1-64");
    assertRejected("local:k/a/b", "key version must be 1-64");
    assertRejected("local:k/" + "v".repeat(65), "key version must be 1-64");
    assertRejected("local:", "key name must be 1-127");
  }

  @Test
  void local_invalidArguments_areRejected() {
    assertThrows(NullPointerException.class, () -> KeyReference.local(null, null));
    assertThrows(IllegalArgumentException.class, () -> KeyReference.local("a b", null));
    assertThrows(IllegalArgumentException.class, () -> KeyReference.local("k", "a/b"));
  }

  // ---------------------------------------------------------------------------------- general

  @ParameterizedTest
  @ValueSource(
      strings = {"http://myvault.vault.azure.net/keys/k", "file:/tmp/key", "azure:k", "k", "pkcs12:x"})
  void parse_unknownScheme_isRejected(String reference) {
    assertRejected(reference, "scheme not recognised");
  }

  @Test
  void parse_tooLong_isRejected() {
    assertRejected("local:" + "k".repeat(KeyReference.MAX_LENGTH), "longer than 1024 characters");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "local:schl\u00fcssel",
        "local:k\u0000",
        "local:k ey",
        "local:k\tey",
        "https://myvault.vault.azure.net/keys/k\u00e9",
        "local:k\u007f"
      })
  void parse_whitespaceControlOrNonAscii_isRejected(String reference) {
    assertRejected(reference, "whitespace, control or non-ASCII");
  }

  @Test
  void parse_emptyOrNull_isRejected() {
    assertRejected("", "empty");
    assertThrows(NullPointerException.class, () -> KeyReference.parse(null));
  }

  @Test
  void withVersion_validatesByKind() {
    KeyReference azure = KeyReference.parse("https://myvault.vault.azure.net/keys/k");
    assertEquals(
        "https://myvault.vault.azure.net/keys/k/" + VERSION,
        azure.withVersion(VERSION.toUpperCase()).toString());
    assertThrows(IllegalArgumentException.class, () -> azure.withVersion("v1"));
    KeyReference pkcs11 = KeyReference.parse("pkcs11:token=t;object=k;serial=1");
    assertEquals("pkcs11:token=t;object=k;id=v1;serial=1", pkcs11.withVersion("v1").toString());
    assertThrows(IllegalArgumentException.class, () -> pkcs11.withVersion("a;b"));
    assertThrows(IllegalArgumentException.class, () -> pkcs11.withVersion("%4"));
    assertThrows(IllegalArgumentException.class, () -> pkcs11.withVersion("%00".repeat(65)));
    assertThrows(NullPointerException.class, () -> pkcs11.withVersion(null));
  }

  @Test
  void versionless_dropsVersionOnly() {
    KeyReference v = KeyReference.parse("pkcs11:token=t;object=k;id=v1;serial=1");
    KeyReference k = v.versionless();
    assertEquals("pkcs11:token=t;object=k;serial=1", k.toString());
    assertTrue(k.sameKeyAs(v));
    assertTrue(v.sameKeyAs(k));
    assertNotEquals(k, v);
    KeyReference unversioned = KeyReference.local("k", null);
    assertTrue(unversioned == unversioned.versionless());
  }

  @Test
  void sameKeyAs_otherKeyOrStore_isFalse() {
    KeyReference a = KeyReference.parse("https://myvault.vault.azure.net/keys/k/" + VERSION);
    assertFalse(a.sameKeyAs(KeyReference.parse("https://myvault.vault.azure.net/keys/l")));
    assertFalse(a.sameKeyAs(KeyReference.parse("https://other.vault.azure.net/keys/k")));
    assertFalse(a.sameKeyAs(KeyReference.parse("https://myvault.vault.azure.net:8443/keys/k")));
    assertFalse(a.sameKeyAs(KeyReference.local("k", null)));
  }

  @Test
  void equals_comparesCanonicalForm() {
    KeyReference a = KeyReference.parse("local:k/v1");
    assertEquals(a, KeyReference.parse("Local:k/v1"));
    assertNotEquals(a, KeyReference.parse("local:K/v1"));
    assertNotEquals(a, "local:k/v1");
    assertNotEquals(a, null);
  }

  @Test
  void requireVersioned_versioned_returnsIt() {
    KeyReference v = KeyReference.local("k", "v1");
    assertEquals(v, KeyReference.requireVersioned(v, "reference"));
  }

  @Test
  void requireVersioned_versionlessOrNull_namesTheParameter() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KeyReference.requireVersioned(KeyReference.local("k", null), "version"));
    assertEquals(
        "version must name a key version; resolve the latest version first", e.getMessage());
    NullPointerException npe =
        assertThrows(NullPointerException.class, () -> KeyReference.requireVersioned(null, "key"));
    assertEquals("key", npe.getMessage());
  }
}
