package dev.cmk.keystore.internal;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes the self-signed certificate a PKCS#12 private key entry must carry. The certificate only
 * transports the public key: its validity is not the key's (that lives in the metadata), so it
 * carries RFC 5280's "no well-defined expiration" date.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class SelfSignedCertificates {
  /** RFC 5280 section 4.1.2.5: 99991231235959Z means "no well-defined expiration date". */
  private static final Date NO_EXPIRY =
      Date.from(ZonedDateTime.of(9999, 12, 31, 23, 59, 59, 0, ZoneOffset.UTC).toInstant());

  private SelfSignedCertificates() {}

  /**
   * Issues a certificate for {@code keyPair}, signed by its own private key (SHA256withRSA), with
   * key usage keyEncipherment and no CA rights.
   *
   * @param keyPair an RSA key pair
   * @param name key name (letters, digits, hyphens)
   * @param version key version
   * @param now issue time
   * @param random source of the serial number
   * @return the certificate
   * @throws IllegalStateException if the JDK or BouncyCastle cannot sign (not expected)
   */
  public static X509Certificate issue(
      KeyPair keyPair, String name, String version, Instant now, SecureRandom random) {
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "cmk keystore")
            .addRDN(BCStyle.CN, name + "/" + version)
            .build();
    BigInteger serial = new BigInteger(127, random).setBit(126);
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              subject, serial, Date.from(now), NO_EXPIRY, subject, keyPair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyEncipherment));
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder("SHA256withRSA").build(keyPair.getPrivate())));
    } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue the keystore entry's certificate", e);
    }
  }
}
