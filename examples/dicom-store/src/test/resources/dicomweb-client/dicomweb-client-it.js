// Drives the DICOM store with npm dicomweb-client (a browser library; XMLHttpRequest from xhr2).
// usage: node dicomweb-client-it.js BASE_URL IN_DIR OUT_DIR STUDY SERIES SOP FRAMES
// Stores every IN_DIR/*.dcm, searches, retrieves, and writes what it got back to OUT_DIR for the
// Java test to compare: results.json, instance.dcm, frame-N.bin.
'use strict';
global.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');
const fs = require('fs');
const path = require('path');

const [base, inDir, outDir, study, series, sop, frameList] = process.argv.slice(2);
const client = new api.DICOMwebClient({ url: base });
const ids = { studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUID: sop };

(async () => {
  const datasets = fs.readdirSync(inDir).filter((f) => f.endsWith('.dcm')).sort().map((f) => {
    const b = fs.readFileSync(path.join(inDir, f));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
  });
  const out = {};
  out.stored = await client.storeInstances({ datasets });
  out.studies = await client.searchForStudies();
  out.studiesByName = await client.searchForStudies({ queryParams: { PatientName: 'doe*' } });
  out.studiesByDate = await client.searchForStudies({ queryParams: { StudyDate: '20240101-20241231' } });
  out.series = await client.searchForSeries({ studyInstanceUID: study });
  out.instances = await client.searchForInstances({ studyInstanceUID: study, seriesInstanceUID: series });
  out.metadata = await client.retrieveInstanceMetadata(ids);
  const instance = await client.retrieveInstance(ids);
  fs.writeFileSync(path.join(outDir, 'instance.dcm'), Buffer.from(instance));
  const numbers = frameList.split(',').map(Number);
  const frames = await client.retrieveInstanceFrames({ ...ids, frameNumbers: numbers });
  out.frameCount = frames.length;
  frames.forEach((f, i) => fs.writeFileSync(path.join(outDir, `frame-${numbers[i]}.bin`), Buffer.from(f)));
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(out));
})().catch((e) => {
  console.error('dicomweb-client failed:', e && (e.stack || e.message || JSON.stringify(e)));
  if (e && e.request) {
    console.error('status', e.status || (e.request && e.request.status));
  }
  process.exit(1);
});
