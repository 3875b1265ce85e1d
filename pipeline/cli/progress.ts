import { SingleBar } from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on stderr for long work; silent when stderr is not a terminal (CI, pipes),
 * so machine-read output stays clean.
 */
export function createProgress(
  label: string,
  total: number,
  unit = 'records',
  options: { detail?: boolean } = {},
): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  // With `detail`, the payload's `detail` string (e.g. fold, epoch, loss) follows the bar.
  const detail = options.detail ? ' | {detail}' : '';
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label.padEnd(10)} {bar} {percentage}% | {value}/{total} ${unit} | {eta_formatted} left${detail}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(total, 0, options.detail ? { detail: '' } : {});
  return {
    update: (value, payload) => bar.update(value, payload),
    stop: () => bar.stop(),
  };
}
