package dev.cmk.testkit;

/**
 * The in-memory provider passes every provider contract, its keys managed through its own {@link
 * dev.cmk.api.spi.KeyManager}.
 */
class InMemoryKeyProviderContractTest
    implements WrapUnwrapContract,
        KeyVersionsContract,
        KeyNotFoundContract,
        InvalidCiphertextContract,
        KeyManagerContract {
  private static final ContractSubject SUBJECT = ContractSubject.of(InMemoryKeyProvider.create());

  @Override
  public ContractSubject subject() {
    return SUBJECT;
  }
}
