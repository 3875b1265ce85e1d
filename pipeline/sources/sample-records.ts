import { encodeRecordId } from '../records/record-id.js';
import { Random } from '../util/random.js';

/**
 * A deterministic generator of realistic record-API records, for demos, tests and benchmarks.
 * It writes the messes real sources have (field aliases, mixed date formats, sizes as text,
 * malformed JSON, unknown segments, unreviewed and excluded records, a few invalid values),
 * and labels each record from a known probability function of its observable features, written
 * beside it under `_sample`, so a benchmark can compute the best achievable (Bayes) AUC.
 */

/** Metadata the sample source keeps beside each record; never a feature. */
export interface SampleMeta {
  /** The id as the search index lists it (encoded; a few are deliberately malformed). */
  indexId: string;
  /** When the record last changed (ISO 8601), for the index's time filter. */
  modified: string;
  /** True probability that the record is pursued, given its observable features. */
  p: number;
}

export type SampleRecord = Record<string, unknown> & { _sample: SampleMeta };

export interface SampleOptions {
  /** Number of records. */
  n: number;
  /** Seed; the same seed and options give the same records. Default 1. */
  seed?: number;
  /** First receive date (ISO). Default 2021-01-01. */
  from?: string;
  /** Last receive date (ISO). Default 2025-12-31. */
  to?: string;
}

export const SEGMENTS = [
  'Education',
  'Entertainment',
  'Transit',
  'Hospitality/Retail/Dialysis',
  'Healthcare',
  'Spaces',
];
const ODD_SEGMENTS = ['Government', 'Industrial', 'Other', '', 'healthcare', ' Education ', 'SPACES'];
const EXCLUDED_STATES = ['preprocessing', 'sameduplicate', 'unknownduplicate', 'newduplicate', 'pastdue'];
const REVIEWERS = ['amartin', 'bchen', 'cdiaz', 'dokafor', 'eschmidt', 'fnguyen', 'gpatel', 'hkowalski'];
const DOMAINS = [
  'mail.contoso.com',
  'bids.fabrikam.net',
  'tailspin.io',
  'northwind.example',
  'wingtip.co.uk',
];
const DIVISION_WEIGHTS = [0.16, 0.2, 0.15, 0.12, 0.1, 0.1, 0.09, 0.08];
/** Division effects on the log-odds: base rates differ between divisions. */
const DIVISION_BASE = [0, 0.35, -0.45, 0.6, -0.2, 0.15, -0.7, 0.9];
const SEGMENT_EFFECT: Record<string, number> = {
  Education: 0.5,
  Entertainment: -0.3,
  Transit: -0.3,
  'Hospitality/Retail/Dialysis': 0.1,
  Healthcare: 0.7,
  Spaces: -0.6,
  unknown: -0.4,
};
const DAY_MS = 86_400_000;
const EPOCH_2020 = Date.UTC(2020, 0, 1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-+';

/** Generates `options.n` records in receive-date order. */
export function* generateSampleRecords(options: SampleOptions): Generator<SampleRecord> {
  const random = new Random(options.seed ?? 1);
  const from = Date.parse(`${options.from ?? '2021-01-01'}T00:00:00Z`);
  const to = Date.parse(`${options.to ?? '2025-12-31'}T23:59:59Z`);
  if (!(to > from)) throw new RangeError(`"to" (${options.to}) must be after "from" (${options.from})`);
  if (!Number.isInteger(options.n) || options.n < 0)
    throw new RangeError(`n must be a whole number >= 0, got ${options.n}`);
  const usedIds = new Set<string>();
  for (let i = 0; i < options.n; i++) {
    const received = from + ((i + random.next()) / Math.max(options.n, 1)) * (to - from);
    yield sampleRecord(random, received, usedIds);
  }
}

function sampleRecord(random: Random, received: number, usedIds: Set<string>): SampleRecord {
  const id = uniqueId(random, usedIds);
  const division = random.weighted(DIVISION_WEIGHTS);
  const segmentIndex = random.weighted([0.14, 0.07, 0.06, 0.16, 0.2, 0.12, 0.25]);
  const segmentText = segmentIndex < SEGMENTS.length ? SEGMENTS[segmentIndex]! : random.pick(ODD_SEGMENTS);
  const segment = canonicalSegment(segmentText);

  const sqft = Math.round(Math.exp(Math.log(15_000) + random.normal() * 1.1));
  const sizeMissing = random.chance(0.04);
  const isDuplicate = random.chance(0.07);

  const vip = {
    Blacklisted: random.chance(0.03),
    HotelVip: random.chance(segment === 'Hospitality/Retail/Dialysis' ? 0.3 : 0.04),
    LargeProjectVip: sqft > 60_000 ? random.chance(0.8) : random.chance(0.03),
    KeyCustomerVip: random.chance(0.1),
    HistoricalVip: random.chance(0.15),
    HistoricalVipRating: 0,
  };
  if (vip.HistoricalVip) vip.HistoricalVipRating = 1 + random.int(5);
  const vipForm = random.weighted([0.9, 0.05, 0.03, 0.02]); // text, missing, malformed, object
  // What a model can see: a malformed or missing vip_details reads as all zeros.
  const seen = vipForm === 0 || vipForm === 3 ? vip : undefined;
  const seenSize = sizeMissing ? 0 : sqft;

  const p = trueProbability({
    days: Math.floor((received - EPOCH_2020) / DAY_MS),
    division,
    segment,
    sqft: seenSize,
    isDuplicate,
    blacklisted: seen?.Blacklisted ?? false,
    hotelVip: seen?.HotelVip ?? false,
    largeProjectVip: seen?.LargeProjectVip ?? false,
    keyCustomerVip: seen?.KeyCustomerVip ?? false,
    historicalVipRating: seen?.HistoricalVipRating ?? 0,
  });
  const pursued = random.chance(p);

  const reviewed = !random.chance(0.05);
  const excluded = random.chance(0.08);
  const state = excluded
    ? random.pick(EXCLUDED_STATES)
    : !reviewed && random.chance(0.5)
      ? 'preprocessing'
      : pursued
        ? 'processed'
        : random.chance(0.7)
          ? 'declined'
          : 'trash';

  const alt = random.chance(0.2);
  const record: Record<string, unknown> = {};
  record[alt ? random.pick(['Id', 'id']) : 'RecordID'] = id;
  record[alt ? random.pick(['partitionKey', 'Table', 'table']) : 'PartitionKey'] = state;
  if (reviewed) record[alt ? 'UserName' : 'userName'] = random.pick(REVIEWERS);
  else if (random.chance(0.5)) record.userName = random.chance(0.5) ? '' : null;
  record[alt ? 'dateReceived' : 'timestamp'] = formatDate(random, received);
  record.is_duplicate = formatFlag(random, isDuplicate);
  if (!sizeMissing) record.project_size = formatSize(random, sqft);
  if (vipForm !== 1) {
    record[alt ? 'VipDetails' : 'vip_details'] =
      vipForm === 0 ? JSON.stringify(vip) : vipForm === 2 ? malformedJson(random, vip) : vip;
  }
  record[alt ? 'Segment' : 'segment'] = segmentText;
  if (division !== 0 || random.chance(0.5)) {
    record[alt ? 'Division' : 'division'] = random.chance(0.1) ? String(division) : division;
  }
  spoil(random, record);

  const lagMinutes = reviewed ? 30 + random.int(3 * 24 * 60) : random.int(60);
  const modified = new Date(received + lagMinutes * 60_000).toISOString();
  const indexId = random.chance(0.004)
    ? malformedIndexId(random, id)
    : encodeRecordId(id, { zeroBytes: random.pick([0, 0, 0, 1, 2, 3]) });
  return { ...record, _sample: { indexId, modified, p } };
}

/** What the label's true probability depends on. `division` is not among the 15 features. */
export interface Observed {
  days: number;
  division: number;
  segment: string;
  sqft: number;
  isDuplicate: boolean;
  blacklisted: boolean;
  hotelVip: boolean;
  largeProjectVip: boolean;
  keyCustomerVip: boolean;
  historicalVipRating: number;
}

/** The label's true probability: a logistic function with interactions and slow drift. */
export function trueProbability(o: Observed): number {
  const years = o.days / 365.25;
  const logSize = o.sqft > 0 ? Math.log(o.sqft) : Math.log(15_000);
  let z = -1.3 + DIVISION_BASE[o.division]!;
  z += SEGMENT_EFFECT[o.segment] ?? SEGMENT_EFFECT.unknown!;
  z += -0.35 * (logSize - Math.log(20_000)) ** 2 + 0.15 * (logSize - Math.log(20_000));
  if (o.isDuplicate) z -= 0.8;
  if (o.blacklisted) z -= 3;
  if (o.keyCustomerVip) z += 1.1;
  z += 0.35 * o.historicalVipRating;
  if (o.hotelVip && o.segment === 'Hospitality/Retail/Dialysis') z += 1.2;
  if (o.largeProjectVip) z += o.segment === 'Healthcare' ? 0.9 : 0.3;
  // Drift: education work grows more attractive, transit less, over the years.
  if (o.segment === 'Education') z += 0.12 * (years - 3);
  if (o.segment === 'Transit' || o.segment === 'Entertainment') z -= 0.1 * (years - 3);
  if (o.division === 3 && o.keyCustomerVip) z += 0.6;
  return 1 / (1 + Math.exp(-z));
}

/**
 * The label's probability given only what the 15 features carry: the division (not a feature)
 * averaged out over its prior weights, which is exact because the division is drawn
 * independently of every feature. Its AUC is the best any model of the 15 features can reach.
 */
export function probabilityWithoutDivision(o: Omit<Observed, 'division'>): number {
  let p = 0;
  DIVISION_WEIGHTS.forEach((weight, division) => {
    p += weight * trueProbability({ ...o, division });
  });
  return p;
}

function canonicalSegment(text: string): string {
  const t = text.trim().toLowerCase();
  const match = SEGMENTS.find((s) => s.toLowerCase() === t);
  return match ?? 'unknown';
}

function uniqueId(random: Random, used: Set<string>): string {
  for (;;) {
    const length = 10 + random.int(30);
    let local = '';
    for (let i = 0; i < length; i++) local += ALPHABET[random.int(ALPHABET.length)];
    const id = `<${local}@${random.pick(DOMAINS)}>`;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

function formatDate(random: Random, ms: number): string | number {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const [y, mo, da, h, mi, s] = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
  switch (random.weighted([0.4, 0.1, 0.15, 0.15, 0.1, 0.1])) {
    case 0:
      return d.toISOString();
    case 1: {
      // The same instant written in UTC-05:00.
      const local = new Date(d.getTime() - 5 * 3_600_000);
      return `${local.toISOString().slice(0, 19)}-05:00`;
    }
    case 2:
      return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
    case 3:
      return `${pad(mo)}/${pad(da)}/${y} ${pad(h % 12 || 12)}:${pad(mi)}:${pad(s)} ${h < 12 ? 'AM' : 'PM'}`;
    case 4:
      return d.toUTCString();
    default:
      return `/Date(${d.getTime()})/`;
  }
}

function formatFlag(random: Random, value: boolean): unknown {
  switch (random.weighted([0.6, 0.25, 0.1, 0.05])) {
    case 0:
      return value;
    case 1:
      return value ? 1 : 0;
    case 2:
      return value ? 'True' : 'False';
    default:
      return value ? 'yes' : 'no';
  }
}

function formatSize(random: Random, sqft: number): unknown {
  switch (random.weighted([0.5, 0.1, 0.2, 0.1, 0.1])) {
    case 0:
      return sqft;
    case 1:
      return String(sqft);
    case 2:
      return `${sqft.toLocaleString('en-US')} sq ft`;
    case 3:
      return `${sqft} sqft`;
    default:
      // Metric sizes, rounded to two decimals: the feature reads them back to within 0.05 sq ft.
      return `${(sqft / 10.7639).toFixed(2)} m²`;
  }
}

function malformedJson(random: Random, vip: Record<string, unknown>): string {
  const text = JSON.stringify(vip);
  return random.chance(0.5)
    ? text.slice(0, Math.max(1, random.int(text.length - 1)))
    : text.replace(/"/g, "'").replace(/true/g, 'True').replace(/false/g, 'False');
}

function malformedIndexId(random: Random, id: string): string {
  const encoded = encodeRecordId(id);
  switch (random.int(3)) {
    case 0:
      return `${encoded.slice(0, -1)}7`;
    case 1:
      return `${encoded.slice(0, -3)}!${encoded.slice(-2)}`;
    default:
      return encodeRecordId(id.replace(/[<>]/g, ''));
  }
}

/** About 0.3% of records carry a value no parser accepts, for quarantine paths. */
function spoil(random: Random, record: Record<string, unknown>): void {
  if (!random.chance(0.003)) return;
  switch (random.int(3)) {
    case 0:
      record.project_size = random.pick(['about 5000', 'n/a', '12,5OO sq ft']);
      break;
    case 1:
      record[Object.hasOwn(record, 'timestamp') ? 'timestamp' : 'dateReceived'] = random.pick([
        'yesterday',
        '31/31/2024',
        '2024-13-01',
      ]);
      break;
    default:
      record.division = 12;
  }
}
