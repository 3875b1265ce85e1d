import { describe, expect, it } from 'vitest';
import { parseTrafficSteps } from '../../../pipeline/deployment/traffic.js';
import { requireModelRef } from '../../../pipeline/registry/model-registry.js';
import { parseDuration, parseIsoDate } from '../../../pipeline/util/parse-values.js';

describe('the value parsers the CLI and the actions share', () => {
  it('reads durations and dates', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(' 1.5m ')).toBe(90_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseIsoDate('2024-01-31').toISOString()).toBe('2024-01-31T00:00:00.000Z');
    expect(parseIsoDate('2024-01-31T12:30:00+01:00').toISOString()).toBe('2024-01-31T11:30:00.000Z');
  });

  it('reads model references and traffic steps', () => {
    expect(requireModelRef('opp-model:12')).toEqual({ name: 'opp-model', version: '12' });
    expect(requireModelRef('opp-model:production')).toEqual({ name: 'opp-model', version: 'production' });
    expect(parseTrafficSteps('10, 50,100')).toEqual([10, 50, 100]);
  });

  it('says what it expected, with a TypeError', () => {
    expect(() => parseDuration('5 minutes')).toThrow(
      new TypeError('expected a duration such as 30s, 5m, 2h or 7d, got "5 minutes"'),
    );
    expect(() => parseIsoDate('yesterday')).toThrow(/expected an ISO date or date-time, got "yesterday"/);
    expect(() => requireModelRef('opp-model')).toThrow(/expected <name>:<version> or <name>:production/);
    expect(() => parseTrafficSteps('50,10,100')).toThrow(/expected ascending percents ending at 100/);
    expect(() => parseTrafficSteps('10,50')).toThrow(TypeError);
  });
});
