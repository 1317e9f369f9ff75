import { c, isInteractive, settings } from "./output.ts";

/**
 * The one progress display of dt: a spinner with the current step on a TTY, plain lines
 * otherwise (CI, pipes). All TTY decisions live here and in output.ts.
 */
export interface Progress {
  /** The current step, replacing the previous one (a line of its own when not on a TTY). */
  step(text: string): void;
  /** Detail shown only with --verbose. */
  detail(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function progress(title: string): Progress {
  if (settings.quiet) return quietProgress();
  return isInteractive() ? spinnerProgress(title) : plainProgress(title);
}

function quietProgress(): Progress {
  return { step() {}, detail() {}, succeed() {}, fail() {} };
}

function plainProgress(title: string): Progress {
  const write = (s: string) => process.stderr.write(`${s}\n`);
  return {
    step: (text) => write(`${title}: ${text}`),
    detail: (text) => settings.verbose && write(`  ${text}`),
    succeed: (text) => write(`${c.green("✓")} ${text}`),
    fail: (text) => write(`${c.red("✗")} ${text}`),
  };
}

function spinnerProgress(title: string): Progress {
  let current = "";
  let frame = 0;
  const started = Date.now();
  const width = () => Math.max(20, (process.stderr.columns ?? 80) - 1);
  const render = () => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    const line = `${c.cyan(FRAMES[frame++ % FRAMES.length]!)} ${title} ${c.dim(`${elapsed}s`)} ${current}`;
    process.stderr.write(`\r\x1b[K${line.slice(0, width() + 20)}`);
  };
  const timer = setInterval(render, 100);
  const clear = () => {
    clearInterval(timer);
    process.stderr.write("\r\x1b[K");
  };
  render();
  return {
    step(text) {
      current = text;
      render();
    },
    detail(text) {
      if (!settings.verbose) return;
      process.stderr.write(`\r\x1b[K  ${text}\n`);
      render();
    },
    succeed(text) {
      clear();
      process.stderr.write(`${c.green("✓")} ${text}\n`);
    },
    fail(text) {
      clear();
      process.stderr.write(`${c.red("✗")} ${text}\n`);
    },
  };
}
