import { oppHome } from '../util/opp-home.js';
import type { AzuriteInstance } from './azurite.js';
import { checkConnectionString } from './connection-string.js';
import { openLocalAzurite } from './local-azurite.js';

/** Env var holding an Azure Storage connection string; when unset, opp starts Azurite. */
export const STORAGE_CONNECTION_ENV = 'OPP_STORAGE_CONNECTION_STRING';

export interface StorageTarget {
  connectionString: string;
  /** The Azurite this call started, if it started one; stop it when done. */
  azurite?: AzuriteInstance;
  /** Stops the Azurite started here (no-op for configured storage). */
  close(): Promise<void>;
}

export interface ResolveStorageOptions {
  /** A connection string to use instead of the env var. Default none. */
  connectionString?: string;
  /** How errors name `connectionString` (e.g. a CLI flag or action input). Default 'connectionString'. */
  setting?: string;
  /** Environment to read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The storage to use: `connectionString` if given, else `$OPP_STORAGE_CONNECTION_STRING`,
 * else the local Azurite with data under `$OPP_HOME/azurite` (one per folder: see
 * {@link openLocalAzurite}).
 *
 * @throws ConfigError when the connection string is malformed (naming the setting and the part).
 */
export async function resolveStorage(options: ResolveStorageOptions = {}): Promise<StorageTarget> {
  const env = options.env ?? process.env;
  const configured = options.connectionString || env[STORAGE_CONNECTION_ENV];
  if (configured) {
    checkConnectionString(
      configured,
      options.connectionString ? (options.setting ?? 'connectionString') : STORAGE_CONNECTION_ENV,
    );
    return { connectionString: configured, close: async () => undefined };
  }
  const local = await openLocalAzurite(oppHome(env));
  return { connectionString: local.azurite.connectionString, azurite: local.azurite, close: local.close };
}
