import { SingleBar } from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on stderr for long work; silent when stderr is not a terminal (CI, pipes),
 * so machine-read output stays clean.
 */
export function createProgress(label: string, total: number, unit = 'records'): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label.padEnd(10)} {bar} {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(total, 0);
  return {
    update: (value, payload) => bar.update(value, payload),
    stop: () => bar.stop(),
  };
}
