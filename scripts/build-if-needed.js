#!/usr/bin/env node
// Builds dist/ when it is missing or older than any source file, so `npm start` and `npm test`
// work straight after `npm ci`. Concurrent callers (parallel test runs) take turns through a lock
// directory. Type errors do not stop this build — `npm run check` and `npm run build` report them;
// here the emitted JavaScript is what the process-level tests need.
const { execSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const marker = join(root, 'dist', 'src', 'main.js');
// The web console (console/, built by Vite into dist/console) has its own marker: a change to its
// sources rebuilds the bundle alone.
const consoleMarker = join(root, 'dist', 'console', 'index.html');
const lock = join(root, '.build-lock');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(p));
    else if (/\.(ts|tsx|mts|css|html|proto|json)$/.test(entry.name)) latest = Math.max(latest, statSync(p).mtimeMs);
  }
  return latest;
}

function stale() {
  const sources = ['src', 'migrations', 'bench', 'tools', 'proto'].map((d) => join(root, d)).filter(existsSync);
  const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
  return built < Math.max(...sources.map(newest), statSync(join(root, 'tsconfig.json')).mtimeMs);
}

function consoleStale() {
  const sources = join(root, 'console');
  if (!existsSync(sources)) return false;
  const built = existsSync(consoleMarker) ? statSync(consoleMarker).mtimeMs : 0;
  return built < newest(sources);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock(fn) {
  const deadline = Date.now() + 180000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline belongs to a build that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another build');
      sleep(250);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (stale() || consoleStale()) {
  withLock(() => {
    if (consoleStale()) {
      process.stderr.write('building dist/console ...\n');
      execSync('npx vite build --config console/vite.config.mts --logLevel warn', { cwd: root, stdio: 'inherit' });
    }
    if (!stale()) return;
    process.stderr.write('building dist/ ...\n');
    try {
      execSync('npx tsc -p tsconfig.build.json', { cwd: root, stdio: 'inherit' });
    } catch {
      process.stderr.write('warning: type errors (see above); JavaScript was emitted anyway\n');
    }
    execSync('npx tsc-alias -p tsconfig.build.json', { cwd: root, stdio: 'inherit' });
  });
}
