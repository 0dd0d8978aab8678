package dev.cmk.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cmk.api.CmkException;
import dev.cmk.api.KeyProviderUnavailableException;
import dev.cmk.api.KeyReference;
import dev.cmk.core.datakey.DataKeyRecord;
import dev.cmk.core.datakey.InMemoryDataKeyStore;
import dev.cmk.testkit.Fault;
import dev.cmk.testkit.FaultInjectingProvider;
import dev.cmk.testkit.InMemoryKeyProvider;
import dev.cmk.testkit.Operation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Format 2 records wrapped under the write key and a further key (another region's vault, an
 * escrow HSM): an instance configured with only the further key reads everything without the
 * write key's vault; an instance configured with the write key is bound by the write key's
 * loss-of-access contract even when the record also carries the further wrapping; an unreachable
 * further key fails writes by default, or is skipped and added later by re-wrap.
 */
class MultiKekTest {
  private static final byte[] AAD = "Observation/9/1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] DATA = "{\"resourceType\":\"Observation\"}"
      .getBytes(StandardCharsets.UTF_8);

  private final InMemoryKeyProvider primaryVault =
      InMemoryKeyProvider.builder().id("primary-vault").build();
  private final InMemoryKeyProvider escrowHsm =
      InMemoryKeyProvider.builder().id("escrow-hsm").build();
  private final KeyReference primary = primaryVault.manager().createKey("data", 2048);
  private final KeyReference escrow = escrowHsm.manager().createKey("escrow", 3072);
  private final FaultInjectingProvider countedPrimary =
      FaultInjectingProvider.wrapping(primaryVault);
  private final InMemoryDataKeyStore store = new InMemoryDataKeyStore();

  private EnvelopeCryptoBuilder writerBuilder(FaultInjectingProvider escrowSide) {
    return EnvelopeCrypto.builder().provider(countedPrimary).provider(escrowSide)
        .writeKey("primary-vault", primary).dataKeyStore(store)
        .additionalWrappingKey("escrow-hsm", escrow.versionless());
  }

  private DataKeyRecord onlyRecord() {
    List<dev.cmk.core.datakey.StoredDataKey> all = store.page(null, 10);
    assertEquals(1, all.size());
    return all.get(0).record();
  }

  @Test
  void record_isWrappedUnderBothKeys_andTheEscrowAloneReadsIt() {
    byte[] envelope;
    try (EnvelopeCrypto writer =
        writerBuilder(FaultInjectingProvider.wrapping(escrowHsm)).build()) {
      envelope = writer.encrypt(DATA, AAD);
    }
    DataKeyRecord record = onlyRecord();
    assertEquals(2, record.wrappings().size());
    assertEquals("primary-vault", record.wrappings().get(0).providerId());
    assertEquals("escrow-hsm", record.wrappings().get(1).providerId());
    assertEquals(escrow, record.wrappings().get(1).keyReference(), "resolved to the latest");

    // Disaster recovery: only the escrow key is configured — no provider could reach the
    // primary vault, and the record still opens (through its second wrapping).
    try (EnvelopeCrypto dr = EnvelopeCrypto.builder().provider(escrowHsm).writeKey(escrow)
        .dataKeyStore(store).build()) {
      assertArrayEquals(DATA, dr.decrypt(envelope, AAD));
    }
  }

  @Test
  void revokedWriteKey_stopsItsInstancesEvenWithAnEscrowWrapping() {
    byte[] envelope;
    try (EnvelopeCrypto writer =
        writerBuilder(FaultInjectingProvider.wrapping(escrowHsm)).build()) {
      envelope = writer.encrypt(DATA, AAD);
    }
    // An instance configured with both keys, write key first: it never falls over to the escrow
    // when the customer revokes the write key.
    try (EnvelopeCrypto both = EnvelopeCrypto.builder().provider(primaryVault)
        .provider(escrowHsm).writeKey("primary-vault", primary.versionless())
        .decryptOnlyKeys(List.of(escrow.versionless())).dataKeyStore(store).build()) {
      primaryVault.manager().setEnabled(primary, false);
      assertThrows(CmkException.class, () -> both.decrypt(envelope, AAD));
      assertThrows(CmkException.class, () -> both.decrypt(envelope, AAD), "and stays refused");
    }
  }

  @Test
  void escrowUnreachable_failsTheWriteByDefault_beforeAnythingIsStored() {
    FaultInjectingProvider escrowDown = FaultInjectingProvider.wrapping(escrowHsm);
    escrowDown.setFault(Operation.WRAP, Fault.transientFailure());
    escrowDown.setFault(Operation.DESCRIBE, Fault.transientFailure());
    try (EnvelopeCrypto writer = writerBuilder(escrowDown).build()) {
      assertThrows(KeyProviderUnavailableException.class, () -> writer.encrypt(DATA, AAD));
    }
    assertEquals(0, store.size());
  }

  @Test
  void escrowUnreachable_notRequired_writesAndRewrapAddsTheEscrowLater() {
    FaultInjectingProvider escrowSide = FaultInjectingProvider.wrapping(escrowHsm);
    escrowSide.setFault(Operation.WRAP, Fault.transientFailure());
    escrowSide.setFault(Operation.DESCRIBE, Fault.transientFailure());
    byte[] envelope;
    try (EnvelopeCrypto writer =
        writerBuilder(escrowSide).additionalWrappingsRequired(false).build()) {
      envelope = writer.encrypt(DATA, AAD);
      assertEquals(1, onlyRecord().wrappings().size(), "made without the escrow wrapping");
      escrowSide.clearFaults();
      RewrapReport report = writer.dataKeyRecords().rewrapAll((id, o, n) -> { });
      assertEquals(1, report.rewrapped());
      assertEquals(2, onlyRecord().wrappings().size());
      assertEquals(1, writer.dataKeyRecords().rewrapAll((id, o, n) -> { }).alreadyCurrent());
    }
    try (EnvelopeCrypto dr = EnvelopeCrypto.builder().provider(escrowHsm).writeKey(escrow)
        .dataKeyStore(store).build()) {
      assertArrayEquals(DATA, dr.decrypt(envelope, AAD));
    }
  }

  @Test
  void builder_additionalKeysNeedAStoreAndAreNotAddedTwice() {
    assertThrows(IllegalStateException.class, () -> EnvelopeCrypto.builder()
        .provider(primaryVault).writeKey(primary)
        .additionalWrappingKey("escrow-hsm", escrow).build());
    assertThrows(IllegalStateException.class, () -> EnvelopeCrypto.builder()
        .additionalWrappingKey("escrow-hsm", escrow)
        .additionalWrappingKey("escrow-hsm", escrow.versionless()));
  }
}
