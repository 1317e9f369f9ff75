import { c, isInteractive, setLiveLine, settings } from "./output.ts";
import { cutToWidth } from "./text-width.ts";

/**
 * The one progress display of dt: a spinner with the current step on a terminal whose width is
 * known, plain lines otherwise (CI, pipes, a terminal that does not say how wide it is). All
 * TTY decisions live here and in output.ts.
 */
export interface Progress {
  /** The spinner redraws in place; false: every step is a line of its own. */
  readonly live: boolean;
  /** The current step, replacing the previous one (a line of its own when not live). */
  step(text: string): void;
  /** Detail shown only with --verbose. */
  detail(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Columns of the terminal on stderr; undefined when stderr is no terminal or it does not say. */
export function stderrColumns(): number | undefined {
  if (!isInteractive()) return undefined;
  const columns = process.stderr.columns;
  return typeof columns === "number" && columns > 0 ? columns : undefined;
}

export function progress(title: string): Progress {
  if (settings.quiet) return quietProgress();
  return stderrColumns() === undefined ? plainProgress(title) : spinnerProgress(title);
}

function quietProgress(): Progress {
  return { live: false, step() {}, detail() {}, succeed() {}, fail() {} };
}

/** Whole lines, never cut: a log keeps every step, and a reader of unknown width wraps them itself. */
function plainProgress(title: string): Progress {
  const write = (s: string) => process.stderr.write(`${s}\n`);
  return {
    live: false,
    step: (text) => write(`${title}: ${text}`),
    detail: (text) => void (settings.verbose && write(`  ${text}`)),
    succeed: (text) => write(`${c.green("✓")} ${text}`),
    fail: (text) => write(`${c.red("✗")} ${text}`),
  };
}

function spinnerProgress(title: string): Progress {
  let current = "";
  let frame = 0;
  const started = Date.now();
  const render = () => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    const line = `${c.cyan(FRAMES[frame++ % FRAMES.length]!)} ${title} ${c.dim(`${elapsed}s`)} ${current}`;
    // One column spare: a line that fills the last column wraps on some terminals, and the
    // next redraw (\r on the new row) would leave the old row behind. Read each time: the
    // terminal may be resized while dt runs.
    const width = (stderrColumns() ?? 80) - 1;
    process.stderr.write(`\r\x1b[K${cutToWidth(line, width)}`);
  };
  // Stopped by a ✓ or ✗ line (the last one leaves no spinner behind), started again by a step.
  let timer: ReturnType<typeof setInterval> | undefined;
  // Talk written meanwhile (info, warnings) goes above the line, which is then drawn again.
  const line = { clear: () => process.stderr.write("\r\x1b[K"), redraw: render };
  const start = () => {
    timer ??= setInterval(render, 100);
    setLiveLine(line);
    render();
  };
  const clear = () => {
    clearInterval(timer);
    timer = undefined;
    setLiveLine(undefined);
    process.stderr.write("\r\x1b[K");
  };
  start();
  return {
    live: true,
    step(text) {
      current = text;
      start();
    },
    detail(text) {
      if (!settings.verbose) return;
      process.stderr.write(`\r\x1b[K  ${text}\n`);
      if (timer) render();
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
