#!/usr/bin/env node
// Builds dist/ when it is missing or older than any source file, so `npm start` and `npm test`
// work straight after `npm ci`.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const marker = join(root, 'dist', 'src', 'main.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(p));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.proto') || entry.name.endsWith('.json')) {
      latest = Math.max(latest, statSync(p).mtimeMs);
    }
  }
  return latest;
}

const sources = ['src', 'migrations', 'bench', 'proto'].map((d) => join(root, d)).filter(existsSync);
const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
const changed = Math.max(...sources.map(newest), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (built < changed) {
  process.stderr.write('building dist/ ...\n');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
