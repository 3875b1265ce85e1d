/**
 * What the fake GitHub (fake-github.ts) answers with: users, repositories and pull requests with
 * every property GitHub's REST description requires of them (`simple-user`, `public-user`,
 * `repository`, `pull-request` in tests/contracts/github-rest/), the fake's own values filled in.
 * `api` is the fake's base URL; `web` stands for github.com.
 */

const WEB = 'https://github.test';
const CREATED = '2026-01-05T09:00:00Z';

/** A `simple-user`: logins ending in `[bot]` are bots (a workflow's GITHUB_TOKEN). */
export function simpleUser(api: string, login: string) {
  const id = login.length;
  const url = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.github.test/u/${id}`,
    gravatar_id: '',
    url,
    html_url: `${WEB}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: login.endsWith('[bot]') ? ('Bot' as const) : ('User' as const),
    site_admin: false,
  };
}

/** GET /user for a personal token: the `public-user` view (no private profile fields). */
export function publicUser(api: string, login: string) {
  return {
    ...simpleUser(api, login),
    name: null,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: CREATED,
    updated_at: CREATED,
    user_view_type: 'public',
  };
}

/** A `repository` owned by the user `owner`. */
export function repository(api: string, owner: string, name: string) {
  const url = `${api}/repos/${owner}/${name}`;
  const html = `${WEB}/${owner}/${name}`;
  return {
    id: `${owner}/${name}`.length,
    node_id: `R_${owner}_${name}`,
    name,
    full_name: `${owner}/${name}`,
    license: null,
    forks: 0,
    owner: simpleUser(api, owner),
    private: false,
    html_url: html,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.test/${owner}/${name}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.test:${owner}/${name}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: 'main',
    open_issues_count: 1,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    archived: false,
    disabled: false,
    pushed_at: CREATED,
    created_at: CREATED,
    updated_at: CREATED,
    open_issues: 1,
    watchers: 0,
  };
}

/** An open `pull-request` #`number` of `owner/repo` from a branch of the same repository, head at `headSha`. */
export function pullRequest(api: string, owner: string, repo: string, number: number, headSha: string) {
  const url = `${api}/repos/${owner}/${repo}/pulls/${number}`;
  const html = `${WEB}/${owner}/${repo}/pull/${number}`;
  const issue = `${api}/repos/${owner}/${repo}/issues/${number}`;
  const author = simpleUser(api, owner);
  const branch = (ref: string, sha: string) => ({
    label: `${owner}:${ref}`,
    ref,
    repo: repository(api, owner, repo),
    sha,
    user: author,
  });
  const link = (href: string) => ({ href });
  return {
    url,
    id: number,
    node_id: `PR_${number}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/repos/${owner}/${repo}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api}/repos/${owner}/${repo}/statuses/${headSha}`,
    number,
    state: 'open' as const,
    locked: false,
    title: `Pull request ${number}`,
    user: author,
    body: null,
    labels: [],
    milestone: null,
    created_at: CREATED,
    updated_at: CREATED,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    head: branch(`pr-${number}`, headSha),
    base: branch('main', '0'.repeat(40)),
    _links: {
      comments: link(`${issue}/comments`),
      commits: link(`${url}/commits`),
      statuses: link(`${api}/repos/${owner}/${repo}/statuses/${headSha}`),
      html: link(html),
      issue: link(issue),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${api}/repos/${owner}/${repo}/pulls/comments{/number}`),
      self: link(url),
    },
    author_association: 'OWNER' as const,
    auto_merge: null,
    merged: false,
    mergeable: null,
    mergeable_state: 'unknown',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}
