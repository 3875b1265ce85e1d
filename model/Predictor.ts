import { InputError } from '../pipeline/errors/InputError.js';
import { type CompiledFeatureSpec, compileFeatureSpec } from '../pipeline/features/compile-spec.js';
import type { BundleManifest } from './bundle/bundle-manifest.js';
import { loadBundle } from './bundle/load-bundle.js';
import { percentileOf } from './bundle/percentiles.js';
import { preprocessorFromManifest } from './bundle/preprocessor-manifest.js';
import type { BundleContents } from './bundle/save-bundle.js';
import { createLogits } from './engine/fused-scorer.js';
import { type MlpWeights, sigmoid } from './network/mlp-weights.js';
import {
  firstOutsideDomain,
  inputWidth,
  type Preprocessor,
  toNetworkInput,
} from './training/preprocessor.js';

/** The score of one row (SEED.md's response, plus the percentile rank). */
export interface Score {
  /** Probability that the opportunity is pursued. */
  probability: number;
  /** 1 iff `probability ≥ threshold`. */
  prediction: 0 | 1;
  /** Distance from a coin toss, as the seed's score.py computed it: |probability − 0.5| × 2, in [0, 1]. */
  confidence: number;
  /** Percentile rank (0-100) of `probability` among the training set's probabilities. */
  percentile: number;
}

/**
 * Scores rows with one model bundle: raw records through the bundle's own feature spec (the
 * same code as training), or feature vectors in the bundle's feature order. Scoring is plain
 * JavaScript on Float32Array weights (no tensors), cheap enough to call per request.
 */
export class Predictor {
  /** Network weights as plain arrays, row-major [inputs × units] per layer. */
  readonly weights: MlpWeights;
  readonly featureNames: readonly string[];
  readonly threshold: number;
  readonly spec: CompiledFeatureSpec;
  readonly manifest: BundleManifest;
  /** Raw features to network input: the bundle's imputation, input transform and scaler, applied by `toNetworkInput` as in training. */
  readonly preprocessor: Preprocessor;
  readonly quantiles: Float64Array;
  /** Logits of scaled rows: the fused WebAssembly scorer when built, else plain JS. */
  private readonly logits: (x: ArrayLike<number>, rows: number) => Float64Array;
  /**
   * One scaled row, reused: the scoring server scores one row per request, and a fresh
   * Float32Array of one row lives outside the JS heap (a malloc and a sweep each time).
   */
  private readonly scaledRow: Float32Array;

  /** Builds a predictor from loaded or just-trained bundle contents. */
  constructor(readonly bundle: BundleContents) {
    this.manifest = bundle.manifest;
    this.weights = bundle.weights;
    this.logits = createLogits(bundle.weights);
    this.featureNames = bundle.manifest.featureNames;
    this.threshold = bundle.manifest.threshold;
    this.spec = compileFeatureSpec(bundle.featureSpec);
    this.preprocessor = preprocessorFromManifest(bundle.manifest, bundle.weights);
    this.quantiles = Float64Array.from(bundle.percentiles);
    this.scaledRow = new Float32Array(inputWidth(this.preprocessor));
    if (this.spec.featureNames.join(',') !== this.featureNames.join(',')) {
      throw new InputError(
        `bundle for division ${bundle.manifest.division}: its feature spec yields ${this.spec.featureNames.join(',')} ` +
          `but the model was trained on ${this.featureNames.join(',')}`,
      );
    }
  }

  /** Loads a bundle folder. @throws InputError for a missing, altered or inconsistent bundle. */
  static async load(dir: string): Promise<Predictor> {
    return new Predictor(await loadBundle(dir));
  }

  /** Scores one feature vector (the bundle's feature order). */
  scoreFeatures(features: ArrayLike<number>): Score {
    return this.scoreBatch(features, 1)[0]!;
  }

  /**
   * Scores `rows` feature vectors stored row-major in `x`.
   * @throws InputError for a wrong length or a non-finite value (naming row and feature).
   */
  scoreBatch(x: ArrayLike<number>, rows = x.length / this.featureNames.length): Score[] {
    const probabilities = this.probabilities(x, rows);
    return Array.from(probabilities, (p) => this.toScore(p));
  }

  /**
   * Scores raw records (record-API form or the spec's source rows) through the bundle's spec.
   * @throws InputError naming the record (by position) and field when features cannot be computed.
   */
  scoreRecords(records: readonly unknown[]): Score[] {
    const d = this.featureNames.length;
    const x = new Float64Array(records.length * d);
    records.forEach((record, i) => {
      const result = this.spec.computeFeatures(record);
      if (!result.ok) throw new InputError(`record ${i + 1}: ${result.reason}`);
      x.set(result.features, i * d);
    });
    return this.scoreBatch(x, records.length);
  }

  /** Scores one raw record. */
  scoreRecord(record: unknown): Score {
    return this.scoreRecords([record])[0]!;
  }

  /** Probabilities only: the cheapest path (no objects per row). */
  probabilities(x: ArrayLike<number>, rows = x.length / this.featureNames.length): Float64Array {
    const d = this.featureNames.length;
    if (!Number.isInteger(rows) || x.length !== rows * d) {
      throw new InputError(
        `expected ${d} feature values per row (${this.featureNames.join(', ')}), got ${x.length} for ${rows} row(s)`,
      );
    }
    const bad = indexOfNonFinite(x);
    if (bad >= 0)
      throw new InputError(
        `row ${Math.floor(bad / d) + 1}: feature "${this.featureNames[bad % d]}" is ${x[bad]}, not a finite number`,
      );
    // Safe to reuse for one row: `logits` copies its input and keeps no reference to it.
    const input = toNetworkInput(this.preprocessor, x, rows, rows === 1 ? this.scaledRow : undefined);
    // Finite rows stay finite through every transform but log1p (−1 and below).
    const outside = this.preprocessor.inputTransform.includes('log1p')
      ? firstOutsideDomain(this.preprocessor, x, rows)
      : -1;
    if (outside >= 0)
      throw new InputError(
        `row ${Math.floor(outside / d) + 1}: feature "${this.featureNames[outside % d]}" is ${x[outside]}, outside what the model takes ` +
          `(its input transform is ${this.preprocessor.inputTransform[outside % d]})`,
      );
    const out = this.logits(input, rows);
    for (let i = 0; i < rows; i++) out[i] = sigmoid(out[i]!);
    return out;
  }

  /** The percentile rank of a probability among the training set's. */
  percentile(probability: number): number {
    return percentileOf(this.quantiles, probability);
  }

  /**
   * Refuses rows made with another feature spec.
   * @throws InputError when `specHash` differs from the bundle's.
   */
  assertSpec(specHash: string, source = 'the input'): void {
    if (specHash !== this.manifest.specHash) {
      throw new InputError(
        `${source} was made with feature spec ${specHash.slice(0, 12)}, but the model needs ${this.manifest.specHash.slice(0, 12)}`,
      );
    }
  }

  private toScore(probability: number): Score {
    const prediction = probability >= this.threshold ? 1 : 0;
    return {
      probability,
      prediction,
      confidence: Math.abs(probability - 0.5) * 2,
      percentile: this.percentile(probability),
    };
  }
}

/**
 * The first index holding NaN or ±Infinity, else −1. A function of its own so the long loops of
 * a batch are optimised here (on-stack replacement) and not inside `probabilities`, whose code
 * optimised that way deoptimised on every later one-row call (measured: 5 µs instead of 1 µs).
 */
function indexOfNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
