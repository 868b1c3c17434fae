/**
 * Progress of long work: a bar with rate and time left on a terminal (cli-progress), plain lines
 * every 10 % when stderr is not a terminal, nothing with --quiet. Always on stderr, so stdout stays
 * clean for --json.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(fraction: number): void;
  stop(): void;
}

export function progress(label: string, opts: { quiet?: boolean }): Progress {
  if (opts.quiet) return { update: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {duration_formatted} elapsed | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0);
    return { update: (f) => bar.update(Math.round(f * 100)), stop: () => bar.stop() };
  }
  const t0 = Date.now();
  let next = 0.1;
  return {
    update: (f) => {
      if (f + 1e-9 < next) return;
      next = Math.floor(f * 10 + 1e-9) / 10 + 0.1;
      const s = (Date.now() - t0) / 1000;
      const left = f > 0 ? (s * (1 - f)) / f : 0;
      process.stderr.write(`${label}: ${Math.round(f * 100)}% (${s.toFixed(1)} s elapsed, ${left.toFixed(1)} s left)\n`);
    },
    stop: () => {},
  };
}
