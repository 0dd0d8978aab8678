package dev.cmk.examples.fhir.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import dev.cmk.examples.fhir.internal.ConditionalUrl.Criterion;
import dev.cmk.examples.fhir.internal.ConditionalUrl.Token;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionalUrlTest {
  @Test
  void parse_identifierForms_giveSystemAndValueAsFhirSays() {
    ConditionalUrl c = ConditionalUrl.parse("Patient",
        "identifier=urn%3Aoid%3A1.2%7C123,456,%7C789,urn:sys%7C");
    assertEquals(1, c.criteria().size());
    Criterion only = c.criteria().get(0);
    assertFalse(only.id());
    assertEquals(List.of(new Token("urn:oid:1.2", "123"), new Token(null, "456"),
        new Token("", "789"), new Token("urn:sys", null)), only.alternatives());
  }

  @Test
  void parse_typePrefixAndSeveralParameters_allMustHold() {
    ConditionalUrl c = ConditionalUrl.parse("Patient", "Patient?_id=a,b&identifier=x&_format=json");
    assertEquals(2, c.criteria().size());
    assertTrue(c.criteria().get(0).id());
    assertEquals(List.of("a", "b"), c.criteria().get(0).alternatives());
    assertEquals(List.of(new Token(null, "x")), c.criteria().get(1).alternatives());
    assertEquals(1, ConditionalUrl.parse("Patient", "/Patient?_id=a").criteria().size());
  }

  @Test
  void parse_escapes_areLiteralCommasAndBars() {
    ConditionalUrl c = ConditionalUrl.parse("Patient", "identifier=a\\|b%7Cc\\,d");
    assertEquals(List.of(new Token("a|b", "c,d")), c.criteria().get(0).alternatives());
  }

  @Test
  void parse_unsupportedOrEmpty_is400NeverIgnored() {
    for (String bad : List.of("name=Smith", "identifier:of-type=x", "_id:missing=true",
        "identifier=x&birthdate=2000", "Observation?identifier=x", "identifier=", "identifier=a,",
        "identifier=%7C", "a%7Cb%7Cc", "identifier=a%7Cb%7Cc", "", "_format=json", "%ZZ=1")) {
      assertThrows(InvalidRequestException.class, () -> ConditionalUrl.parse("Patient", bad), bad);
    }
  }
}
