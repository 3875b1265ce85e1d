import type { CompiledFeatureSpec } from '../features/compile-spec.js';
import { generateSampleRecords } from '../sources/sample-records.js';

/** One example request the demo sent, and what the endpoint answered. */
export interface ScoredExample {
  name: string;
  request: unknown;
  status: number;
  response: unknown;
}

/**
 * Scores a few example opportunities through the endpoint, the way callers would: the seed's
 * request form (the 15 features by name), a raw record as the record API returns it, and a
 * batch across divisions (one of which may fall back to the general model).
 */
export async function scoreExamples(
  url: string,
  spec: CompiledFeatureSpec,
  seed: number,
): Promise<ScoredExample[]> {
  const records = [...generateSampleRecords({ n: 200, seed: seed + 1000 })]
    .map(({ _sample, ...record }) => record)
    .filter((record) => spec.computeFeatures(record).ok && spec.computeDivision(record).ok);
  const first = records[0]!;
  const computed = spec.computeFeatures(first);
  const division = spec.computeDivision(first);
  // The same opportunity as the raw record below, routed to the same division's model.
  const features = {
    ...(computed.ok
      ? Object.fromEntries(spec.featureNames.map((name, i) => [name, computed.features[i]]))
      : {}),
    ...(division.ok ? { division: division.division } : {}),
  };
  const byDivision = new Map<number, Record<string, unknown>>();
  for (const record of records) {
    const division = spec.computeDivision(record);
    if (division.ok && !byDivision.has(division.division)) byDivision.set(division.division, record);
  }
  const examples: Array<[string, unknown]> = [
    ['the 15 features by name (the seed’s request form) and a division', features],
    ['a raw record, featurised by the code training used', { record: first }],
    [
      'a batch of raw records, one per division',
      { instances: [...byDivision.values()].map((record) => ({ record })) },
    ],
  ];
  const scored: ScoredExample[] = [];
  for (const [name, request] of examples) {
    const response = await fetch(`${url}/score`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    scored.push({ name, request, status: response.status, response: await response.json() });
  }
  return scored;
}
