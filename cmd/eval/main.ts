// overseer-eval: held-out accuracy, placement benchmark, retraining and EvalService (see docs/eval.md).
import { runCli } from "../../lib/eval/cli.js";

process.exitCode = await runCli(process.argv.slice(2));
