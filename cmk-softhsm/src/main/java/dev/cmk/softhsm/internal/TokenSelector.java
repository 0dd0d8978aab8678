package dev.cmk.softhsm.internal;

import java.util.ArrayList;
import java.util.List;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.TokenInfo;
import org.jspecify.annotations.Nullable;

/**
 * Which token a provider uses: exactly one of label, serial number or slot id.
 *
 * @param label token label, or {@code null}
 * @param serial token serial number, or {@code null}
 * @param slotId slot id, or {@code null}
 */
public record TokenSelector(
    @Nullable String label, @Nullable String serial, @Nullable Long slotId) {

  /** Checks that exactly one is set. */
  public TokenSelector {
    int set = (label == null ? 0 : 1) + (serial == null ? 0 : 1) + (slotId == null ? 0 : 1);
    if (set != 1) {
      throw new IllegalStateException(
          "exactly one of tokenLabel, tokenSerial and slotId must be set, found " + set);
    }
  }

  /** How the token was selected, for messages: {@code label 'cmk'}. */
  String describe() {
    if (label != null) {
      return "label '" + label + "'";
    }
    if (serial != null) {
      return "serial number '" + serial + "'";
    }
    return "slot id " + slotId;
  }

  private boolean matches(long slot, TokenInfo info) {
    if (label != null) {
      return label.equals(info.getLabel().trim());
    }
    if (serial != null) {
      return serial.equals(info.getSerialNumber().trim());
    }
    return slotId == slot;
  }

  /**
   * The one initialized token of {@code library} this selector matches.
   *
   * @throws IllegalStateException if none or several match
   * @throws PKCS11Exception if the library cannot list its slots
   */
  Slot find(Pkcs11Library library) throws PKCS11Exception {
    List<Slot> found = new ArrayList<>();
    for (Slot slot : library.module().getSlotList(true)) {
      TokenInfo info = slot.getToken().getTokenInfo();
      if (info.isTokenInitialized() && matches(slot.getSlotID(), info)) {
        found.add(slot);
      }
    }
    if (found.isEmpty()) {
      throw new IllegalStateException(
          "no initialized PKCS#11 token with " + describe() + " in " + library.path());
    }
    if (found.size() > 1) {
      throw new IllegalStateException(
          found.size()
              + " PKCS#11 tokens with "
              + describe()
              + " in "
              + library.path()
              + "; select the token by serial number");
    }
    return found.get(0);
  }
}
