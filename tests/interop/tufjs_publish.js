// Interop: builds and signs a TUF repository with @tufjs/models (not with fleetgate),
// for the gateway's client to verify. Root version 2 rotates the timestamp key, so the
// gateway also walks a root chain signed by this library.
// usage: node tufjs_publish.js OUT_DIR SITE
// Writes OUT_DIR/repository/ (1.root.json is the trust root) and prints target names.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { canonicalize } = require('@tufjs/canonical-json');
const {
  Metadata, Root, Timestamp, Snapshot, Targets, Key, MetaFile, TargetFile, Signature,
} = require('@tufjs/models');

const SPEC = '1.0.31';

function newKey() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  // The raw 32-byte public key ends the SPKI DER encoding.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const json = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } };
  const keyID = crypto.createHash('sha256').update(canonicalize(json)).digest('hex');
  const key = new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: raw } });
  const signer = (data) =>
    new Signature({ keyID, sig: crypto.sign(null, data, privateKey).toString('hex') });
  return { key, keyID, signer };
}

function expiresIn(days) {
  return new Date(Date.now() + days * 86400e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function metaFor(bytes, version) {
  return new MetaFile({
    version,
    length: bytes.length,
    hashes: { sha256: crypto.createHash('sha256').update(bytes).digest('hex') },
  });
}

function main() {
  const [outDir, site] = process.argv.slice(2);
  if (!outDir || !site) throw new Error('usage: tufjs_publish.js OUT_DIR SITE');
  const repo = path.join(outDir, 'repository');
  fs.mkdirSync(repo, { recursive: true });
  const write = (rel, bytes) => {
    const file = path.join(repo, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  };
  const toBytes = (md) => Buffer.from(JSON.stringify(md.toJSON(), null, 2));

  const keys = { root: newKey(), targets: newKey(), snapshot: newKey(), timestamp: newKey() };
  const root = new Root({ version: 1, specVersion: SPEC, expires: expiresIn(365), consistentSnapshot: true });
  for (const [role, k] of Object.entries(keys)) root.addKey(k.key, role);
  const rootMd = new Metadata(root);
  rootMd.sign(keys.root.signer);
  write('1.root.json', toBytes(rootMd));

  // Root 2: a new timestamp key, signed by the (unchanged) root key.
  const oldTimestamp = keys.timestamp;
  keys.timestamp = newKey();
  const root2Json = root.toJSON();
  delete root2Json.keys[oldTimestamp.keyID];
  root2Json.keys[keys.timestamp.keyID] = keys.timestamp.key.toJSON();
  root2Json.roles.timestamp.keyids = [keys.timestamp.keyID];
  root2Json.version = 2;
  const root2Md = new Metadata(Root.fromJSON(root2Json));
  root2Md.sign(keys.root.signer);
  write('2.root.json', toBytes(root2Md));
  write('root.json', toBytes(root2Md));

  const files = {
    'fw/models-v1.bin': crypto.randomBytes(300 * 1024),
    [`plans/${site}.json`]: Buffer.from(JSON.stringify({
      site, version: 1, prefetch: ['fw/models-v1.bin'],
      deployments: [{ id: 'models-1', target: 'fw/models-v1.bin' }],
    })),
  };
  const targets = new Targets({ version: 1, specVersion: SPEC, expires: expiresIn(90) });
  for (const [name, bytes] of Object.entries(files)) {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    targets.addTarget(new TargetFile({ path: name, length: bytes.length, hashes: { sha256 } }));
    const dir = path.posix.dirname(name);
    write(path.posix.join('targets', dir, `${sha256}.${path.posix.basename(name)}`), bytes);
  }
  const targetsMd = new Metadata(targets);
  targetsMd.sign(keys.targets.signer);
  const targetsBytes = toBytes(targetsMd);
  write('1.targets.json', targetsBytes);

  const snapshot = new Snapshot({
    version: 1, specVersion: SPEC, expires: expiresIn(7),
    meta: { 'targets.json': metaFor(targetsBytes, 1) },
  });
  const snapshotMd = new Metadata(snapshot);
  snapshotMd.sign(keys.snapshot.signer);
  const snapshotBytes = toBytes(snapshotMd);
  write('1.snapshot.json', snapshotBytes);

  const timestamp = new Timestamp({
    version: 1, specVersion: SPEC, expires: expiresIn(1),
    snapshotMeta: metaFor(snapshotBytes, 1),
  });
  const timestampMd = new Metadata(timestamp);
  timestampMd.sign(keys.timestamp.signer);
  write('timestamp.json', toBytes(timestampMd));
  for (const name of Object.keys(files)) console.log(name);
}

main();
