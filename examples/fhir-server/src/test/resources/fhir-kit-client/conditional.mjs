// The FhirKitClientIT client: npm fhir-kit-client (not HAPI) against the cmk FHIR server.
// Usage: node conditional.mjs <base URL> <unique suffix>
// Prints one "key=value" line per thing the client saw; the Java test asserts on them.
import { Client } from 'fhir-kit-client';

const [base, suffix] = process.argv.slice(2);
const client = new Client({ baseUrl: base });
const system = 'urn:oid:1.2.36.146.595.217.0.1';
const value = `MRN-${suffix}`;
const condition = `identifier=${encodeURIComponent(`${system}|${value}`)}`;
const patient = (family) => ({
  resourceType: 'Patient',
  name: [{ family }],
  identifier: [{ system, value }],
});
const http = (r) => Client.httpFor(r).response;
const seen = (key, v) => console.log(`${key}=${v}`);

// Conditional create, twice: the second answers the first's resource.
const first = await client.create({
  resourceType: 'Patient', body: patient('First'),
  options: { headers: { 'If-None-Exist': condition } },
});
seen('create1.status', http(first).status);
seen('create1.id', first.id);
seen('create1.location', http(first).headers.get('location'));
const second = await client.create({
  resourceType: 'Patient', body: patient('Second'),
  options: { headers: { 'If-None-Exist': condition } },
});
seen('create2.status', http(second).status);
seen('create2.id', second.id);
seen('create2.family', second.name[0].family);
const found = await client.search({
  resourceType: 'Patient', searchParams: { identifier: `${system}|${value}` },
});
seen('search.total', found.total);
seen('search.entries', (found.entry ?? []).length);

// Conditional update of the one match.
const updated = await client.update({
  resourceType: 'Patient', searchParams: { identifier: `${system}|${value}` },
  body: patient('Updated'),
});
seen('condUpdate.status', http(updated).status);
seen('condUpdate.id', updated.id);
seen('condUpdate.version', updated.meta.versionId);

// Update as create: PUT to an id the server has not seen.
const newId = `fkc-${suffix.slice(0, 8)}`;
const made = await client.update({
  resourceType: 'Patient', id: newId,
  body: { resourceType: 'Patient', id: newId, name: [{ family: 'Made' }] },
});
seen('updateCreate.status', http(made).status);
seen('updateCreate.location', http(made).headers.get('location'));
seen('updateCreate.id', made.id);

// Prefer: minimal, representation, OperationOutcome.
const plain = { resourceType: 'Patient', name: [{ family: 'Prefer' }] };
for (const prefer of ['minimal', 'representation', 'OperationOutcome']) {
  const r = await client.create({
    resourceType: 'Patient', body: plain, options: { headers: { Prefer: `return=${prefer}` } },
  });
  seen(`prefer.${prefer}.status`, http(r).status);
  seen(`prefer.${prefer}.resourceType`, r.resourceType ?? '(empty body)');
  seen(`prefer.${prefer}.location`, http(r).headers.get('location'));
}

// A second resource with the same identifier makes the condition ambiguous: 412, nothing made.
await client.create({ resourceType: 'Patient', body: patient('Twin') });
try {
  await client.create({
    resourceType: 'Patient', body: patient('Third'),
    options: { headers: { 'If-None-Exist': condition } },
  });
  seen('ambiguous.status', 'no error');
} catch (e) {
  seen('ambiguous.status', e.response.status);
}
try {
  await client.create({
    resourceType: 'Patient', body: patient('Bad'),
    options: { headers: { 'If-None-Exist': 'name=Bad' } },
  });
  seen('unsupported.status', 'no error');
} catch (e) {
  seen('unsupported.status', e.response.status);
}
const after = await client.search({
  resourceType: 'Patient', searchParams: { identifier: `${system}|${value}` },
});
seen('final.total', after.total);
