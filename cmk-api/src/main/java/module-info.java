/**
 * The cmk API: the {@link dev.cmk.api.spi.KeyEncryptionKeyProvider} SPI, key references and
 * descriptions, secret-bytes holder and the single exception hierarchy rooted at
 * {@link dev.cmk.api.CmkException}. Has no third-party dependencies but the JSpecify nullness
 * annotations (static: needed to compile, not to run).
 */
module dev.cmk.api {
  requires static org.jspecify;
  exports dev.cmk.api;
  exports dev.cmk.api.spi;

  uses dev.cmk.api.spi.KeyEncryptionKeyProviderFactory;
}
