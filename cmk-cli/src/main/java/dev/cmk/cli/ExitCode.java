package dev.cmk.cli;

/**
 * The documented exit codes of {@code cmk}. Stable: scripts may rely on them. Aligned with picocli
 * and the Azure CLI: 1 is an unexpected failure, 2 a usage error.
 *
 * <table>
 *   <caption>Exit codes</caption>
 *   <tr><th>Code</th><th>Meaning</th></tr>
 *   <tr><td>0</td><td>success</td></tr>
 *   <tr><td>1</td><td>unexpected internal error (a bug: please report it with {@code
 *       --verbose})</td></tr>
 *   <tr><td>2</td><td>usage error: bad option or argument, missing setting, binary output to a
 *       terminal</td></tr>
 *   <tr><td>3</td><td>key not found, access denied (disabled, expired, wrong password or
 *       identity), key access suspended, or an envelope naming a vault or PKCS#11 token the user
 *       did not allow (see {@link KeyAllowList}; nothing was contacted)</td></tr>
 *   <tr><td>4</td><td>key provider or data-key store unavailable (network, throttling, HSM
 *       library or token, keystore file unreadable, database or blob container unreachable)</td></tr>
 *   <tr><td>5</td><td>key policy violation</td></tr>
 *   <tr><td>6</td><td>I/O error on an input or output file</td></tr>
 *   <tr><td>7</td><td>invalid ciphertext or format: not an envelope, tampered, truncated, wrong
 *       associated data, or a format version this build cannot read</td></tr>
 * </table>
 */
final class ExitCode {
  static final int OK = 0;
  static final int INTERNAL = 1;
  static final int USAGE = 2;
  static final int KEY_ACCESS = 3;
  static final int PROVIDER_UNAVAILABLE = 4;
  static final int POLICY_VIOLATION = 5;
  static final int IO = 6;
  static final int INVALID_CIPHERTEXT = 7;

  private ExitCode() {}
}
