// Compiling a 50-job DAG to ASL and validating it (the goal: under 50 ms), with
// validateStateMachine (asl-validator 4.0.0's rules, its schemas compiled once per process),
// next to asl-validator 4.0.0 called directly on the same definition in the same run (the
// peer), which rebuilds its Ajv instance and recompiles all its schemas on every call.
// The first (cold) call of validateStateMachine compiles the schemas and is printed too.
import aslValidator from "asl-validator";
import { definePipeline, toStateMachine, validateStateMachine } from "../src/pipeline/index.js";

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
const options = { checkArn: true, checkPaths: true };

const compile = () => toStateMachine(definePipeline({ name: "fifty", jobs }), arns);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const time = <T>(run: () => T): [number, T] => {
  const started = performance.now();
  const result = run();
  return [performance.now() - started, result];
};

// Cold: the first validation in this process compiles asl-validator's schemas.
const [cold, first] = time(() => validateStateMachine(compile(), options));
if (!first.isValid) throw new Error(first.errorsText("\n"));

for (let i = 0; i < 10; i++) validateStateMachine(compile(), options); // warm-up
const rounds = 60;
const compileOnly: number[] = [];
const fast: number[] = [];
for (let i = 0; i < rounds; i++) {
  compileOnly.push(time(compile)[0]);
  const [ms, result] = time(() => validateStateMachine(compile(), options));
  if (!result.isValid) throw new Error(result.errorsText("\n"));
  fast.push(ms);
}

// The peer: asl-validator itself (it writes into the definition: it gets a copy).
const peerRounds = 5;
const peer: number[] = [];
const definition = compile();
for (let i = 0; i < peerRounds; i++) {
  const [ms, result] = time(() => {
    const compiled = compile();
    return aslValidator(structuredClone(compiled), options);
  });
  if (!result.isValid) throw new Error(result.errorsText("\n"));
  peer.push(ms);
}
const same =
  JSON.stringify(validateStateMachine(definition, options).errors) ===
  JSON.stringify(aslValidator(structuredClone(definition), options).errors);

const fastMedian = median(fast);
const peerMedian = median(peer);
console.log(`50-job DAG: ${JSON.stringify(definition).length} bytes of ASL`);
console.log(
  `define + compile only (median of ${rounds}):                 ${median(compileOnly).toFixed(2)} ms`,
);
console.log(
  `define + compile + validateStateMachine, cold first call:     ${cold.toFixed(0)} ms (compiles the schemas)`,
);
console.log(
  `define + compile + validateStateMachine (median of ${rounds}):  ${fastMedian.toFixed(1)} ms (best ${Math.min(...fast).toFixed(1)}, worst ${Math.max(...fast).toFixed(1)})`,
);
console.log(
  `define + compile + asl-validator 4.0.0 (median of ${peerRounds}):     ${peerMedian.toFixed(0)} ms (the peer)`,
);
console.log(
  `validateStateMachine is ${(peerMedian / fastMedian).toFixed(0)}× faster than asl-validator; same errors: ${same}`,
);
console.log(
  `goal: compile + validate a 50-job DAG under 50 ms: ${fastMedian < 50 ? "PASS" : "FAIL"} (warm median ${fastMedian.toFixed(1)} ms)`,
);
if (fastMedian >= 50 || !same) process.exitCode = 1;
