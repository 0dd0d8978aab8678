package dev.cmk.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cmk.api.TokenProtection.Property;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenProtectionTest {

  @Test
  void attests_attestedUnreportedAndRefused_areThreeStates() {
    TokenProtection p =
        new TokenProtection(
            EnumSet.of(Property.PERSISTENT, Property.SENSITIVE), Set.of(Property.NOT_DESTROYABLE));
    assertTrue(p.attests(Property.SENSITIVE));
    assertTrue(p.holdsWhereReported(Property.SENSITIVE));
    assertFalse(p.attests(Property.NOT_DESTROYABLE), "unreported is not attested");
    assertTrue(p.holdsWhereReported(Property.NOT_DESTROYABLE), "unreported holds where reported");
    assertFalse(p.attests(Property.NOT_EXTRACTABLE));
    assertFalse(p.holdsWhereReported(Property.NOT_EXTRACTABLE), "reported with the other value");
  }

  @Test
  void constructor_propertyBothAttestedAndUnreported_isRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TokenProtection(Set.of(Property.SENSITIVE), Set.of(Property.SENSITIVE)));
    assertTrue(e.getMessage().contains("CKA_SENSITIVE"), e.getMessage());
    assertThrows(NullPointerException.class, () -> new TokenProtection(null, Set.of()));
    assertThrows(NullPointerException.class, () -> new TokenProtection(Set.of(), null));
  }

  @Test
  void constructor_copiesInDeclarationOrderAndIsImmutable() {
    Set<Property> in = EnumSet.of(Property.NOT_DESTROYABLE, Property.PERSISTENT);
    TokenProtection p = new TokenProtection(in, Set.of());
    in.clear();
    assertEquals(List.of(Property.PERSISTENT, Property.NOT_DESTROYABLE), List.copyOf(p.attested()));
    assertThrows(UnsupportedOperationException.class, () -> p.attested().add(Property.SENSITIVE));
    assertEquals(p, new TokenProtection(Set.of(Property.PERSISTENT, Property.NOT_DESTROYABLE), Set.of()));
  }

  @Test
  void property_toString_namesAttributeAndValue() {
    assertEquals("CKA_EXTRACTABLE=false", Property.NOT_EXTRACTABLE.toString());
    assertEquals("CKA_TOKEN=true", Property.PERSISTENT.toString());
    assertEquals("CKA_DESTROYABLE", Property.NOT_DESTROYABLE.attribute());
    assertFalse(Property.NOT_DESTROYABLE.value());
  }

  @Test
  void none_attestsNothing() {
    assertTrue(TokenProtection.none().attested().isEmpty());
    assertFalse(TokenProtection.none().attests(Property.SENSITIVE));
  }

  @Test
  void keyDescription_nullTokenProtection_throwsNullPointerNamingIt() {
    NullPointerException e =
        assertThrows(
            NullPointerException.class,
            () ->
                new KeyDescription(
                    KeyReference.local("k", "v1"), KeyType.RSA, 2048, true, null, null,
                    Set.of(KeyOperation.WRAP_KEY), VaultProtection.none(), null));
    assertEquals("tokenProtection", e.getMessage());
  }
}
