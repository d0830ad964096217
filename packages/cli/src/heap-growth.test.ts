import { describe, expect, it } from 'vitest';
import { boundHeapGrowth } from './heap-growth.js';

describe('boundHeapGrowth', () => {
  it('bounds the heap growth factor when node was started without one', () => {
    expect(boundHeapGrowth(['--enable-source-maps'])).toBe(true);
  });

  it('leaves a --heap-growing-percent given to node itself alone, in either spelling', () => {
    expect(boundHeapGrowth(['--heap-growing-percent=100'])).toBe(false);
    expect(boundHeapGrowth(['--heap_growing_percent=300'])).toBe(false);
  });
});
