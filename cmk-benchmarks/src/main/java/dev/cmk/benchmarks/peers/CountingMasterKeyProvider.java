package dev.cmk.benchmarks.peers;

import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.DataKey;
import com.amazonaws.encryptionsdk.EncryptedDataKey;
import com.amazonaws.encryptionsdk.MasterKeyProvider;
import com.amazonaws.encryptionsdk.MasterKeyRequest;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ESDK's {@link JceMasterKey} with a count of data-key decryptions (RSA unwraps), the ESDK's
 * equivalent of a KMS call. Everything else is delegated unchanged. Thread-safe.
 */
final class CountingMasterKeyProvider extends MasterKeyProvider<JceMasterKey> {
  private final JceMasterKey delegate;
  private final AtomicLong unwraps = new AtomicLong();

  CountingMasterKeyProvider(JceMasterKey delegate) {
    this.delegate = delegate;
  }

  @Override
  public String getDefaultProviderId() {
    return delegate.getDefaultProviderId();
  }

  @Override
  public JceMasterKey getMasterKey(String provider, String keyId) {
    return delegate.getMasterKey(provider, keyId);
  }

  @Override
  public List<JceMasterKey> getMasterKeysForEncryption(MasterKeyRequest request) {
    return delegate.getMasterKeysForEncryption(request);
  }

  @Override
  public DataKey<JceMasterKey> decryptDataKey(
      CryptoAlgorithm algorithm,
      Collection<? extends EncryptedDataKey> encryptedDataKeys,
      Map<String, String> encryptionContext) {
    unwraps.incrementAndGet();
    return delegate.decryptDataKey(algorithm, encryptedDataKeys, encryptionContext);
  }

  long unwraps() {
    return unwraps.get();
  }
}
