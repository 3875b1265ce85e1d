import { describe, expect, it } from 'vitest';
import { readJobSteps } from '../support/workflow-run.js';

/** retrain.yml (issue 25): an unchanged snapshot registers no new candidate every week. */
describe('retrain.yml registration', () => {
  it("registers with the snapshot job's id and skips a snapshot a live version was trained on", () => {
    const register = readJobSteps('.github/workflows/retrain.yml', 'gate-register').find(
      (step) => step.uses === './actions/register',
    );
    expect(register?.with).toMatchObject({
      'snapshot-id': '${{ needs.snapshot.outputs.snapshot-id }}',
      'skip-same-snapshot': 'true',
      stage: 'candidate',
    });
  });
});
