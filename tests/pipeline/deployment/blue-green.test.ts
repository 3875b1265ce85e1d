import { describe, expect, it } from 'vitest';
import { splitTraffic } from '../../../pipeline/deployment/blue-green.js';
import { deploymentName } from '../../../pipeline/deployment/deployment-target.js';

describe('splitTraffic', () => {
  it('gives the new deployment its share and spreads the rest in proportion, summing to 100', () => {
    expect(splitTraffic({ a: 100 }, 'b', 10)).toEqual({ a: 90, b: 10 });
    const split = splitTraffic({ a: 50, c: 50 }, 'b', 33);
    expect(split.b).toBe(33);
    expect(Object.values(split).reduce((x, y) => x + y, 0)).toBe(100);
    expect(splitTraffic({ a: 100 }, 'b', 100)).toEqual({ a: 0, b: 100 });
  });

  it('sends everything to the new deployment when nothing took traffic before', () => {
    expect(splitTraffic({}, 'b', 10)).toEqual({ b: 100 });
  });
});

describe('deploymentName', () => {
  it('is a valid Azure ML name of at most 32 characters, with version and division', () => {
    expect(deploymentName('opp', '12')).toBe('opp-v12');
    expect(deploymentName('opp', '3', 5)).toBe('opp-v3-d5');
    const long = deploymentName('1very_long.model-name-that-goes-on-and-on', '123', 7);
    expect(long).toMatch(/^[A-Za-z][A-Za-z0-9-]{2,31}$/);
    expect(long.endsWith('-v123-d7')).toBe(true);
  });
});
