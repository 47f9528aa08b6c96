import { loadPgliteTemplate } from './pglite-template';

// Integration specs start real servers and processes; their own waits carry tighter limits.
jest.setTimeout(60000);
// In-memory PGlite databases start from the run's dump of a fresh cluster, not from initdb.
loadPgliteTemplate();
