import { type MetricsCommentInput, renderMetricsComment } from './pr-comment.js';

/** GitHub's limit on one step's job summary (1 MiB). */
export const JOB_SUMMARY_MAX_CHARS = 1024 * 1024;

/**
 * The metrics report for a job summary (`$GITHUB_STEP_SUMMARY`): the PR comment's content
 * without the hidden marker, with the larger job-summary size limit.
 */
export function renderMetricsSummary(input: MetricsCommentInput): string {
  return renderMetricsComment(input, { marker: false, maxChars: JOB_SUMMARY_MAX_CHARS });
}
