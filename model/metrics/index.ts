export * from './bootstrap.js';
export * from './delong.js';
export * from './metric-set.js';
export * from './probabilistic.js';
export * from './ranking.js';
export * from './summary.js';
export * from './thresholded.js';
export * from './types.js';
