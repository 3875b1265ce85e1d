import { join, resolve } from 'node:path';

/** Environment variable naming the folder that holds all of opp's local state. */
export const OPP_HOME_ENV = 'OPP_HOME';

/** The local state folder: `$OPP_HOME`, or `./.opp` in the current directory. */
export function oppHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[OPP_HOME_ENV] || '.opp');
}

/** A path inside the local state folder. */
export function oppPath(...parts: string[]): string {
  return join(oppHome(), ...parts);
}
