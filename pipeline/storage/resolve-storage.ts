import { join } from 'node:path';
import { oppHome } from '../util/opp-home.js';
import { type AzuriteInstance, startAzurite } from './azurite.js';

/** Env var holding an Azure Storage connection string; when unset, opp starts Azurite. */
export const STORAGE_CONNECTION_ENV = 'OPP_STORAGE_CONNECTION_STRING';

export interface StorageTarget {
  connectionString: string;
  /** The Azurite this call started, if it started one; stop it when done. */
  azurite?: AzuriteInstance;
  /** Stops the Azurite started here (no-op for configured storage). */
  close(): Promise<void>;
}

/**
 * The storage to use: `connectionString` if given, else `$OPP_STORAGE_CONNECTION_STRING`,
 * else a fresh Azurite with data under `$OPP_HOME/azurite`.
 */
export async function resolveStorage(
  options: { connectionString?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<StorageTarget> {
  const env = options.env ?? process.env;
  const configured = options.connectionString || env[STORAGE_CONNECTION_ENV];
  if (configured) return { connectionString: configured, close: async () => undefined };
  const azurite = await startAzurite({ location: join(oppHome(env), 'azurite') });
  return { connectionString: azurite.connectionString, azurite, close: () => azurite.stop() };
}
