// Preloaded (`node --require`) into the node processes of ProcessCluster (test/support/process-cluster.ts) and
// of the fault suite (test/faults/node.ts):
// their in-memory PGlite starts from the test run's dump of a fresh cluster (test/support/pglite-template.ts)
// instead of running initdb, as in-process test nodes do. It calls the same seam of the built module that
// dist/src/main.js then loads, so the app itself runs unchanged.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const dump = process.env.DISTRO_SYNC_TEST_PGLITE_DUMP;
if (dump) {
  const { useMemoryTemplate } = require(join(__dirname, '..', '..', 'dist', 'src', 'database', 'embedded-postgres'));
  useMemoryTemplate(new Blob([readFileSync(dump)], { type: 'application/x-tar' }));
}
