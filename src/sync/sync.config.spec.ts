import { readSection } from '@/config/read-env';
import { SyncConfig } from './sync.config';

describe(SyncConfig.name, () => {
  it('should never let the backoff cap fall below its first wait', () => {
    expect(readSection(SyncConfig, {}).section.retryMaxMs).toBe(300000);
    expect(readSection(SyncConfig, { SYNC_RETRY_MAX_MS: '2000' }).section.retryMaxMs).toBe(2000);
    expect(readSection(SyncConfig, { SYNC_RETRY_MAX_MS: '500', SYNC_RETRY_BASE_MS: '800' }).section.retryMaxMs).toBe(
      800,
    );
  });

  it('should keep SECRET_KEY unset unless it is a printable key of at least 32 characters', () => {
    expect(readSection(SyncConfig, {}).section.secretKey).toBeUndefined();
    expect(readSection(SyncConfig, { SECRET_KEY: 'k'.repeat(31) }).problems).toEqual([
      expect.stringMatching(/^SECRET_KEY must be at least 32 characters long/),
    ]);
  });
});
