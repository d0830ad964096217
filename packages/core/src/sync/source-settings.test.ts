import { describe, expect, it } from 'vitest';
import { sourceConfigSchema } from '../config/schema.js';
import { sourceSettings } from './run-sync.js';

describe('a source setting the source block leaves out', () => {
  const source = (extra: Record<string, unknown> = {}) => sourceConfigSchema.parse({ name: 's', connector: 'graph', ...extra });

  it('takes the connector-declared default (graph: fullEvery 96)', () => {
    expect(sourceSettings(source(), { defaults: { fullEvery: 96 } }).fullEvery).toBe(96);
  });

  it('is the engine default (every run full) for a connector that declares none', () => {
    expect(sourceSettings(source(), {}).fullEvery).toBe(1);
    expect(sourceSettings(source()).fullEvery).toBe(1);
  });

  it('is what the source block says when it says it', () => {
    expect(sourceSettings(source({ fullEvery: 4 }), { defaults: { fullEvery: 96 } }).fullEvery).toBe(4);
  });
});
