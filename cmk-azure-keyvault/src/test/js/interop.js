// Azure's own JavaScript SDK (@azure/keyvault-keys) against cmk's loopback Key Vault, run by
// JsSdkInteropIT. Input from the environment; one JSON line of results on stdout; exit code 0
// only when every step succeeded. The IT asserts on the results and on what the vault recorded.
//
//   CMK_VAULT_URL       https://{vault}.vault.azure.net:{port} (the real vault name)
//   CMK_LOOPBACK_HOSTS  comma-separated host names that resolve to 127.0.0.1
//   CMK_TOKEN           a bearer token the loopback tenant issued
//   CMK_KEY_PREFIX      a prefix unique to this run
//   NODE_EXTRA_CA_CERTS the loopback's self-signed certificate (PEM), read by node itself
"use strict";

const dns = require("node:dns");
const crypto = require("node:crypto");

// Vault names resolve to the loopback, as -Djdk.net.hosts.file does for the JVM, so the SDK sees
// the real host name (TLS name check, challenge-resource verification) as in production.
const loopbackHosts = new Set((process.env.CMK_LOOPBACK_HOSTS || "").split(",").filter(Boolean));
const realLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (!loopbackHosts.has(hostname)) {
    return realLookup.apply(dns, arguments);
  }
  const cb = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options !== null && options.all;
  process.nextTick(() =>
    all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4));
};

const { KeyClient, CryptographyClient } = require("@azure/keyvault-keys");

const vaultUrl = process.env.CMK_VAULT_URL;
const prefix = process.env.CMK_KEY_PREFIX;
const token = process.env.CMK_TOKEN;
if (!vaultUrl || !prefix || !token) {
  throw new Error("CMK_VAULT_URL, CMK_KEY_PREFIX and CMK_TOKEN are required");
}

/** The smallest TokenCredential: the loopback's token, valid for an hour. */
const credential = {
  async getToken() {
    return { token, expiresOnTimestamp: Date.now() + 3600 * 1000 };
  },
};

async function main() {
  const client = new KeyClient(vaultUrl, credential);
  const results = {};

  // create
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push(await client.createRsaKey(`${prefix}-${i}`, { keySize: 2048 }));
  }
  results.created = created.map((k) => k.id);

  // list, paged: two keys a page, following nextLink
  let pages = 0;
  const listed = [];
  for await (const page of client.listPropertiesOfKeys().byPage({ maxPageSize: 2 })) {
    pages++;
    if (page.length > 2) {
      throw new Error(`a page of ${page.length} keys, asked for 2`);
    }
    for (const p of page) {
      if (p.name.startsWith(`${prefix}-`)) {
        listed.push(p.name);
      }
    }
  }
  results.pages = pages;
  results.listed = listed.sort();

  // get
  const name = `${prefix}-0`;
  const fetched = await client.getKey(name);
  results.getId = fetched.id;
  results.keyType = fetched.keyType;

  // rotate, and list the versions
  const rotated = await client.rotateKey(name);
  results.rotatedId = rotated.id;
  const versions = [];
  for await (const v of client.listPropertiesOfKeyVersions(name)) {
    versions.push(v.version);
  }
  results.versions = versions;

  // wrapKey / unwrapKey through CryptographyClient on the new version
  const crypto1 = new CryptographyClient(rotated.id, credential);
  const dataKey = crypto.randomBytes(32);
  const wrapped = await crypto1.wrapKey("RSA-OAEP-256", dataKey);
  const unwrapped = await crypto1.unwrapKey("RSA-OAEP-256", wrapped.result);
  results.wrappedLength = wrapped.result.length;
  results.unwrapMatches = Buffer.compare(Buffer.from(unwrapped.result), dataKey) === 0;

  // disable the new version; a get of it is then refused
  const disabled = await client.updateKeyProperties(name, rotated.properties.version, {
    enabled: false,
  });
  results.disabledEnabled = disabled.properties.enabled;
  try {
    await client.getKey(name, { version: rotated.properties.version });
    results.getDisabled = "allowed";
  } catch (e) {
    results.getDisabled = `${e.statusCode} ${e.code}`;
  }
  return results;
}

main().then(
  (results) => {
    process.stdout.write(JSON.stringify(results) + "\n");
  },
  (error) => {
    process.stderr.write(`interop failed: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  }
);
