import { ExitCode } from "../core/base/errors.ts";
import { defineCommand } from "./_define.ts";
import { jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: {
    name: "doctor",
    description: "Check git, the engine (reachable, version, arch), QEMU for the configured platforms, each builder of dt.yaml (reachable, its platform), registry credentials, dt.yaml, changelogs and sub-repos",
  },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { runDoctor } = await import("../core/doctor/doctor.ts");
    const { connectEngine } = await import("../core/engine/connect.ts");
    const { out, outDocument, c } = await import("../ui/output.ts");
    const checks = await runDoctor(cwd, await connectEngine());
    const failed = checks.some((ch) => ch.status === "fail");
    if (args.json) {
      outDocument({ ok: !failed, checks }, failed ? ExitCode.environment : ExitCode.ok);
    } else {
      const mark = { ok: c.green("✓"), warn: c.yellow("!"), fail: c.red("✗") } as const;
      for (const ch of checks) {
        out(`${mark[ch.status]} ${c.bold(ch.name)}: ${ch.detail}`);
        if (ch.fix && ch.status !== "ok") out(`    ${c.dim("fix:")} ${ch.fix}`);
      }
    }
    return failed ? ExitCode.environment : ExitCode.ok;
  },
});
