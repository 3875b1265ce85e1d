import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_ENV, parseBackendName, requestedBackend, useBackend } from '../../../model/tf/backend.js';
import { ConfigError } from '../../../pipeline/errors/ConfigError.js';

const saved = process.env[BACKEND_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[BACKEND_ENV];
  else process.env[BACKEND_ENV] = saved;
});

describe('backend selection', () => {
  it('prefers the option, then $OPP_BACKEND, then the config', () => {
    process.env[BACKEND_ENV] = 'cpu';
    expect(requestedBackend('wasm', 'node')).toBe('wasm');
    expect(requestedBackend(undefined, 'node')).toBe('cpu');
    delete process.env[BACKEND_ENV];
    expect(requestedBackend(undefined, 'node')).toBe('node');
    expect(requestedBackend()).toBe('auto');
  });

  it('refuses an unknown backend name', () => {
    expect(() => parseBackendName('gpu')).toThrow(
      /unknown backend "gpu" \(expected auto, wasm, cpu, node, node-gpu\)/,
    );
  });

  it('falls back to wasm on auto and announces one line naming it', async () => {
    const lines: string[] = [];
    const chosen = await useBackend('auto', { announce: (line) => lines.push(line) });
    // tfjs-node cannot install on these machines; where it is installed, auto picks it.
    expect(['wasm', 'node', 'node-gpu']).toContain(chosen);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^opp: tfjs backend ${chosen} \\(`))]);
  });

  it('says what to do when a native backend is asked for but not installed', async () => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) return; // nothing to check where it is installed
    await expect(useBackend('node')).rejects.toThrow(ConfigError);
    await expect(useBackend('node')).rejects.toThrow(
      /needs @tensorflow\/tfjs-node.*use --backend wasm or auto/,
    );
  });
});
