import { fileURLToPath } from 'node:url';
import { OpenApi3Contract } from './openapi3.js';

const contracts = fileURLToPath(new URL('../../contracts/', import.meta.url));

/** The GitHub REST API version whose description the fake GitHub checks against. */
export const GITHUB_CONTRACT_VERSION = '2022-11-28';

let cached: OpenApi3Contract | undefined;

/**
 * The operations opp calls in GitHub's REST description (issue comments, GET /user, pulls.get; an extract of
 * github/rest-api-description's api.github.com.2022-11-28.json; tests/contracts/SOURCE.md says
 * which parts, from which commit).
 */
export function gitHubContract(): OpenApi3Contract {
  cached ??= new OpenApi3Contract(
    `${contracts}github-rest/api.github.com.${GITHUB_CONTRACT_VERSION}.extract.json`,
  );
  return cached;
}
