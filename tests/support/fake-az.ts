import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_TOKEN } from './fake-azureml.js';

/**
 * The runner image's Azure CLI, as the workflow rehearsals need it: an executable `az` in `bin`
 * (put it first on PATH) that answers `az account get-access-token` with the fake Azure ML's
 * token once {@link azureLoginStandIn} has logged in under `$HOME`, and before that "Please run
 * 'az login'", as the real CLI does. DefaultAzureCredential reads the token through it.
 */
export function installFakeAz(bin: string): void {
  mkdirSync(bin, { recursive: true });
  const expiresOn = Math.floor(Date.now() / 1000) + 3600;
  writeFileSync(
    join(bin, 'az'),
    [
      '#!/bin/bash',
      'if [ "$1 $2" = "account get-access-token" ]; then',
      '  if [ ! -f "$HOME/.azure/opp-rehearsal-login" ]; then',
      `    echo "ERROR: Please run 'az login' to setup account." >&2; exit 1`,
      '  fi',
      `  echo '{"accessToken":"${FAKE_TOKEN}","expires_on":${expiresOn},"expiresOn":"2099-01-01 00:00:00.000000","tokenType":"Bearer"}'`,
      '  exit 0',
      'fi',
      'echo "az rehearsal stand-in: $* is not rehearsed" >&2; exit 2',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'az'), 0o755);
}

/**
 * The azure/login stand-in: what the real action leaves for later steps, a logged-in `az`
 * (see {@link installFakeAz}) under `home`; it fails, as azure/login does, without a client,
 * tenant or subscription id. Each call's inputs are pushed on `logins`.
 */
export function azureLoginStandIn(
  home: string,
  logins: Record<string, string>[] = [],
): (inputs: Record<string, string>) => boolean {
  return (login) => {
    logins.push(login);
    if (!login['client-id'] || !login['tenant-id'] || !login['subscription-id']) return false;
    mkdirSync(join(home, '.azure'), { recursive: true });
    writeFileSync(join(home, '.azure', 'opp-rehearsal-login'), JSON.stringify(login));
    return true;
  };
}
