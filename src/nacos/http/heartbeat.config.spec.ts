import { readSection } from '@/config/read-env';
import { NacosBeatConfig } from './heartbeat.config';

describe(NacosBeatConfig.name, () => {
  it('should refuse removing an instance before it turns unhealthy', () => {
    expect(readSection(NacosBeatConfig, { NACOS_CLIENT_BEAT_DELETE_MS: '10000' }).problems).toEqual([
      expect.stringMatching(/^NACOS_CLIENT_BEAT_DELETE_MS must not be shorter than NACOS_CLIENT_BEAT_UNHEALTHY_MS/),
    ]);
    expect(
      readSection(NacosBeatConfig, { NACOS_CLIENT_BEAT_DELETE_MS: '10000', NACOS_CLIENT_BEAT_UNHEALTHY_MS: '10000' })
        .problems,
    ).toEqual([]);
  });

  it('should not compare the two when one of them is not a number', () => {
    expect(readSection(NacosBeatConfig, { NACOS_CLIENT_BEAT_UNHEALTHY_MS: 'soon' }).problems).toEqual([
      expect.stringMatching(/^NACOS_CLIENT_BEAT_UNHEALTHY_MS must be an integer, got "soon"/),
    ]);
  });
});
