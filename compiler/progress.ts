/**
 * A tiny progress reporter for long passes over data files (calibration, verification). It rewrites one status
 * line on stderr with `\r`, and only when stderr is a terminal and progress is not disabled (the CLI disables it
 * with --json, so machine-readable runs never see it). Updates are throttled; `done()` clears the line.
 */

/** The part of a writable stream the reporter needs (process.stderr fits). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** Set false to silence the reporter (e.g. with --json). Default true. */
  readonly enabled?: boolean;
  /** Default process.stderr. */
  readonly stream?: ProgressStream;
  /** Minimum milliseconds between redraws; default 100. */
  readonly intervalMs?: number;
  /** Clock, for tests; default Date.now. */
  readonly now?: () => number;
}

export interface Progress {
  /** Whether anything will be written. */
  readonly active: boolean;
  /** Report that `done` of `total` items are finished (redrawn at most every intervalMs, and always at the end). */
  update(done: number): void;
  /** Clear the line. Safe to call more than once. */
  done(): void;
}

const SILENT: Progress = { active: false, update: () => undefined, done: () => undefined };

/** A reporter for `total` items, labelled e.g. "verifying" → `verifying: 12/40 sequences (30%)`. */
export function createProgress(label: string, total: number, unit: string, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.enabled === false || stream.isTTY !== true || total <= 0) return SILENT;
  const interval = opts.intervalMs ?? 100;
  const now = opts.now ?? Date.now;
  let last = -Infinity;
  let width = 0;
  let finished = false;
  const draw = (text: string) => {
    const padded = text.length < width ? text + " ".repeat(width - text.length) : text;
    width = text.length;
    stream.write(`\r${padded}`);
  };
  return {
    active: true,
    update(done) {
      if (finished) return;
      const t = now();
      if (done < total && t - last < interval) return;
      last = t;
      const pct = Math.floor((100 * Math.min(done, total)) / total);
      draw(`${label}: ${done}/${total} ${unit} (${pct}%)`);
    },
    done() {
      if (finished) return;
      finished = true;
      if (width > 0) stream.write(`\r${" ".repeat(width)}\r`);
    },
  };
}
