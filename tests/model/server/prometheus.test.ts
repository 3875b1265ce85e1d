import { describe, expect, it } from 'vitest';
import { Counter, Histogram } from '../../../model/server/prometheus.js';

describe('Histogram', () => {
  it('renders cumulative bucket counts, +Inf, sum and count per label set', () => {
    const h = new Histogram('t_seconds', 'test', [0.1, 1]);
    const series = h.series({ route: '/a' });
    for (const v of [0.05, 0.1, 0.5, 2]) series.observe(v);
    h.observe(0.5, { route: '/b' });
    expect(h.render().split('\n')).toEqual([
      '# HELP t_seconds test',
      '# TYPE t_seconds histogram',
      't_seconds_bucket{route="/a",le="0.1"} 2',
      't_seconds_bucket{route="/a",le="1"} 3',
      't_seconds_bucket{route="/a",le="+Inf"} 4',
      't_seconds_sum{route="/a"} 2.65',
      't_seconds_count{route="/a"} 4',
      't_seconds_bucket{route="/b",le="0.1"} 0',
      't_seconds_bucket{route="/b",le="1"} 1',
      't_seconds_bucket{route="/b",le="+Inf"} 1',
      't_seconds_sum{route="/b"} 0.5',
      't_seconds_count{route="/b"} 1',
    ]);
  });
});

describe('Counter', () => {
  it('counts through a kept series and through labels alike, escaping label values', () => {
    const c = new Counter('t_total', 'test');
    const kept = c.series({ code: 200 });
    kept.inc();
    c.inc({ code: 200 }, 2);
    c.inc({ name: 'a"b\\c' });
    expect(c.get({ code: 200 })).toBe(3);
    expect(c.render()).toContain('t_total{code="200"} 3');
    expect(c.render()).toContain('t_total{name="a\\"b\\\\c"} 1');
  });
});
