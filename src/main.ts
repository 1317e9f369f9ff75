#!/usr/bin/env bun
// The launcher: only what every command needs. Commands and heavy modules load lazily.
import { ExitCode } from "./core/base/errors.ts";
import { interruptedBy, markInterrupted, runCleanups } from "./core/base/lifecycle.ts";

// A dependency's runtime warning (docker-modem's url.parse() is a DeprecationWarning under
// Node's rules) tells the user nothing they can act on: dt's own problems are DtErrors, and
// --verbose shows the rest.
process.noDeprecation = true;
process.removeAllListeners("warning");

/** Exits once cleanups ran; after a signal the exit code is the signal's, whoever gets here first. */
async function finish(code: number): Promise<never> {
  await runCleanups();
  const signal = interruptedBy();
  process.exit(signal === "SIGINT" ? ExitCode.interrupted : signal === "SIGTERM" ? ExitCode.terminated : code);
}

for (const [signal, code] of [
  ["SIGINT", ExitCode.interrupted],
  ["SIGTERM", ExitCode.terminated],
] as const) {
  process.on(signal, () => {
    markInterrupted(signal);
    void finish(code);
  });
}

// A rejection nothing awaits (inside a library) would otherwise print a dump of the bundle, and
// Bun then spins at full CPU with the top-level await still pending: report it and end.
for (const event of ["unhandledRejection", "uncaughtException"] as const) {
  process.on(event, (error: unknown) => {
    void import("./cli.ts").then(({ reportError }) => finish(reportError(error)));
  });
}

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  const { DT_VERSION } = await import("./core/base/dt-version.ts");
  console.log(DT_VERSION);
  process.exit(0);
}

// version, config, setenv and ls (answers.ts: ANSWERED_COMMANDS): the output of an earlier run,
// while everything it read is unchanged.
if (argv[0] === "version" || argv[0] === "config" || argv[0] === "setenv" || argv[0] === "ls") {
  const { replayAnswer, startRecording } = await import("./core/base/answers.ts");
  if (await replayAnswer(argv)) process.exit(0);
  startRecording(argv);
}

const { runCli, reportError } = await import("./cli.ts");
let code: number;
try {
  code = await runCli(argv);
} catch (error) {
  code = reportError(error);
}
await finish(code);
