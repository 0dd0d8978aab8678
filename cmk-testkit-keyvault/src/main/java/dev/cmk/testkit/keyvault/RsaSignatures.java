package dev.cmk.testkit.keyvault;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.HexFormat;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.jspecify.annotations.Nullable;

/**
 * RSA signatures over a digest the client computed, as Key Vault's {@code sign} and {@code verify}
 * take them: {@code RS256}/{@code RS384}/{@code RS512} (PKCS #1 v1.5) and {@code PS256}/{@code
 * PS384}/{@code PS512} (PSS, MGF1 with the same hash, salt as long as the hash). A digest of the
 * wrong length for the algorithm, or another algorithm, is 400 {@code BadParameter}. Stateless.
 */
final class RsaSignatures {
  /** BouncyCastle, not registered: it signs a precomputed digest with PSS ("NONEwithRSASSA-PSS"). */
  private static final Provider BC = new BouncyCastleProvider();

  private enum Alg {
    RS256("SHA-256", "3031300d060960864801650304020105000420", false),
    RS384("SHA-384", "3041300d060960864801650304020205000430", false),
    RS512("SHA-512", "3051300d060960864801650304020305000440", false),
    PS256("SHA-256", null, true),
    PS384("SHA-384", null, true),
    PS512("SHA-512", null, true);

    final String hash;
    /** The DER DigestInfo prefix of PKCS #1 v1.5 (RFC 8017, section 9.2, note 1). */
    final byte @Nullable [] digestInfoPrefix;
    final boolean pss;

    Alg(String hash, @Nullable String digestInfoPrefix, boolean pss) {
      this.hash = hash;
      this.digestInfoPrefix =
          digestInfoPrefix == null ? null : HexFormat.of().parseHex(digestInfoPrefix);
      this.pss = pss;
    }

    int digestLength() {
      return Integer.parseInt(hash.substring(4)) / 8;
    }

    static Alg of(String name, int digestLength) {
      Alg alg;
      try {
        alg = valueOf(name);
      } catch (IllegalArgumentException e) {
        throw KeyVaultError.badParameter(
            "Algorithm " + name + " is not supported for RSA keys (RS256, RS384, RS512, PS256,"
                + " PS384, PS512).");
      }
      if (digestLength != alg.digestLength()) {
        throw KeyVaultError.badParameter(
            "The digest length " + digestLength + " does not match algorithm " + name + ".");
      }
      return alg;
    }
  }

  private RsaSignatures() {}

  static byte[] sign(String algName, PrivateKey key, byte[] digest) {
    Alg alg = Alg.of(algName, digest.length);
    try {
      Signature s = signature(alg);
      s.initSign(key);
      s.update(alg.pss ? digest : digestInfo(alg, digest));
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA signing unavailable", e);
    }
  }

  static boolean verify(String algName, PublicKey key, byte[] digest, byte[] signature) {
    Alg alg = Alg.of(algName, digest.length);
    try {
      Signature s = signature(alg);
      s.initVerify(key);
      s.update(alg.pss ? digest : digestInfo(alg, digest));
      return s.verify(signature);
    } catch (SignatureException e) {
      return false;
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("not an RSA key", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA verification unavailable", e);
    }
  }

  private static Signature signature(Alg alg) throws GeneralSecurityException {
    if (!alg.pss) {
      return Signature.getInstance("NONEwithRSA");
    }
    Signature s = Signature.getInstance("NONEwithRSASSA-PSS", BC);
    s.setParameter(
        new PSSParameterSpec(
            alg.hash, "MGF1", new MGF1ParameterSpec(alg.hash), alg.digestLength(), 1));
    return s;
  }

  private static byte[] digestInfo(Alg alg, byte[] digest) {
    byte[] out = new byte[alg.digestInfoPrefix.length + digest.length];
    System.arraycopy(alg.digestInfoPrefix, 0, out, 0, alg.digestInfoPrefix.length);
    System.arraycopy(digest, 0, out, alg.digestInfoPrefix.length, digest.length);
    return out;
  }
}
