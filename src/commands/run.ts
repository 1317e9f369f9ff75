import { defineCommand } from "./_define.ts";
import { dirArgs, jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: {
    name: "run",
    description: "Run a task of dt.yaml: its steps in order, stopping at the first failure",
    usage: [
      "Example: dt run lint -- --fix   (ARGS after -- are appended to the task's last step)",
      "Each step is a shell line run with 'sh -c' in the target dir (or the workspace root), with the",
      "workspace's DT_* variables, PATH and PYTHONPATH (as 'dt setenv' sets them); 'dt' in a step is this dt.",
    ].join("\n"),
  },
  args: {
    task: { type: "positional", required: false, description: "Name of the task (see --list)", complete: "tasks" },
    list: { type: "boolean", description: "List the tasks" },
    ...jsonArgs,
    ...dirArgs,
  },
  async run({ args, rest, cwd }) {
    const { usageError } = await import("../core/base/errors.ts");
    const { loadConfig } = await import("../core/config/config.ts");
    const { workspaceEnv } = await import("../core/shell/setenv.ts");
    const { findWorkspaceRoot, relPath, resolveTargetDir } = await import("../core/workspace/workspace.ts");
    const tasksCore = await import("../core/tasks/tasks.ts");
    const output = await import("../ui/output.ts");
    const { writeAll } = await import("../ui/fd.ts");

    const listing = Boolean(args.list || args.json);
    if (listing && args.task !== undefined) {
      throw usageError(`--list takes no task (got '${args.task}')`, { hint: "dt run --list, or dt run TASK" });
    }
    // --dir picks the target dir (checked like every --dir); else the one around cwd, or the root.
    const start = args.dir === undefined ? cwd : (await resolveTargetDir(cwd, args.dir)).absPath;
    const ws = await workspaceEnv(start);
    if (ws === undefined) findWorkspaceRoot(cwd); // throws the usual "not inside a git repository"
    const env = ws!;
    const runDir = env.targetDir || env.root;
    const tasks = tasksCore.listTasks(loadConfig(env.root, relPath(env.root, runDir)));

    if (listing) {
      if (args.json) {
        output.outDocument({ dir: relPath(env.root, runDir), tasks });
        return;
      }
      if (tasks.length === 0) {
        output.info("no tasks are defined; add them under 'tasks:' in dt.yaml");
        return;
      }
      output.out(output.table(["TASK", "STEPS", "DEFINED IN"], tasks.map((t) => [t.name, t.steps.join(" && "), t.source]), { shrink: [1] }));
      return;
    }
    if (args.task === undefined) throw tasksCore.noTaskError(tasks);
    const task = tasksCore.findTask(tasks, args.task);
    const steps = tasksCore.stepsWithArgs(task, rest);
    const shim = tasksCore.makeSelfShim();
    try {
      const result = await tasksCore.runSteps(steps, {
        cwd: runDir,
        env: tasksCore.taskEnv(process.env, env, shim.dir),
        onStep: (step) => output.info(output.c.dim(`$ ${step}`)),
      });
      if (result.failedStep !== undefined) {
        const where = steps.length > 1 ? ` at step ${result.failedStep} of ${steps.length}` : "";
        writeAll(2, `${output.c.red("error:")} task '${task.name}' failed${where} with exit code ${result.code}\n`);
      }
      return result.code;
    } finally {
      shim.remove();
    }
  },
});
