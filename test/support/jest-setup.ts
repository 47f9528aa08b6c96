import { loadPgliteTemplate } from './pglite-template';

// A test or hook that runs past this is hung: the limit says nothing about speed. What a spec checks about
// time it checks itself (an `eventually` bound, a measured duration). Node starts, in-process or as processes,
// take seconds on a quiet machine and ten times that on the shared 2-core one under load, where a 60 s limit
// failed specs that were only slow (three nodes started in one test); so one ample limit everywhere and no
// shorter ones in the specs. The soak and the fault suite keep their own.
jest.setTimeout(180_000);
// In-memory PGlite databases start from the run's dump of a fresh cluster, not from initdb.
loadPgliteTemplate();
