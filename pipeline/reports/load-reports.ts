import { type MetricsReport, MetricsReportSchema } from '../../model/metrics-report.js';
import { loadConfig } from '../config/load-config.js';
import { type ComparisonReport, ComparisonReportSchema } from './comparison-report.js';

/**
 * Reads and validates a metrics report (`metrics.json`).
 *
 * @throws ConfigError naming the file and each JSON path that does not match the schema
 *   (including an unknown `version`).
 */
export function loadMetricsReport(file: string): MetricsReport {
  return loadConfig(file, MetricsReportSchema);
}

/**
 * Reads and validates a comparison report (`comparison.json`).
 *
 * @throws ConfigError naming the file and each JSON path that does not match the schema.
 */
export function loadComparisonReport(file: string): ComparisonReport {
  return loadConfig(file, ComparisonReportSchema);
}
