// Interop: the tuf-js reference client refreshes a repository made by `fleetgate repo`
// and downloads every target, served by a loopback-only HTTP server on port 0.
// usage: node tufjs_client.js REPOSITORY_DIR WORK_DIR
// Exits 0 when every target downloaded and matched its signed hash, 1 otherwise.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { Updater } = require('tuf-js');

function serve(root) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const file = path.resolve(root, '.' + rel);
    if (!file.startsWith(path.resolve(root) + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Length': data.length }).end(data);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const [repoDir, workDir] = process.argv.slice(2);
  if (!repoDir || !workDir) throw new Error('usage: tufjs_client.js REPOSITORY_DIR WORK_DIR');
  const metadataDir = path.join(workDir, 'metadata');
  const targetDir = path.join(workDir, 'targets');
  fs.mkdirSync(metadataDir, { recursive: true });
  fs.mkdirSync(targetDir, { recursive: true });
  // The initial trusted root, delivered out of band.
  fs.copyFileSync(path.join(repoDir, '1.root.json'), path.join(metadataDir, 'root.json'));

  const server = await serve(repoDir);
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const updater = new Updater({
      metadataDir,
      metadataBaseUrl: `${base}/`,
      targetDir,
      targetBaseUrl: `${base}/targets/`,
      config: { fetchRetries: 0 },
    });
    await updater.refresh();
    // Every target the verified targets metadata lists (tuf-js persisted it).
    const targets = JSON.parse(fs.readFileSync(path.join(metadataDir, 'targets.json'))).signed.targets;
    const names = Object.keys(targets);
    if (names.length === 0) throw new Error('the repository lists no targets');
    for (const name of names) {
      const info = await updater.getTargetInfo(name);
      if (!info) throw new Error(`tuf-js does not know target ${name}`);
      const file = path.join(targetDir, name.replace(/\//g, '_'));
      await updater.downloadTarget(info, file);
      const digest = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      if (digest !== targets[name].hashes.sha256) throw new Error(`${name}: sha256 differs`);
      console.log(`downloaded ${name} (${info.length} bytes)`);
    }
    console.log(`tuf-js verified ${names.length} targets`);
  } finally {
    server.close();
  }
}

main().catch((err) => {
  console.error(`tuf-js refused: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
