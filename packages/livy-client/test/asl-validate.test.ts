// validateStateMachine against asl-validator 4.0.0 called directly (the oracle): same validity,
// same error list, same text, same exceptions, for compiled pipelines and for a corpus of
// deliberately invalid definitions, under each combination of options.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import {
  type AslValidationOptions,
  definePipeline,
  type PipelineDefinition,
  type PipelineJob,
  toStateMachine,
  validateStateMachine,
} from "../src/pipeline/index.js";

const arns = {
  submitFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-submit",
  statusFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-status:live",
};
const LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:work";

type Outcome =
  | { isValid: boolean; errors: unknown[]; text: string; joined: string }
  | { threw: string };

function outcome(
  run: () => { isValid: boolean; errors: unknown[]; errorsText(s?: string): string },
): Outcome {
  try {
    const result = run();
    return {
      isValid: result.isValid,
      errors: result.errors,
      text: result.errorsText(),
      joined: result.errorsText("; "),
    };
  } catch (error) {
    return { threw: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Both validators on the same definition; the oracle gets a copy (it writes into it). */
function compare(definition: unknown, options?: AslValidationOptions) {
  const before = JSON.stringify(definition);
  const fast = outcome(() => validateStateMachine(definition, options));
  expect(JSON.stringify(definition)).toBe(before); // ours leaves the definition alone
  const oracle = outcome(() => aslValidator(structuredClone(definition), options));
  expect(fast).toEqual(oracle);
  return fast;
}

const pipelines: Record<string, PipelineDefinition> = {
  single: { name: "single", jobs: { only: { batch: { file: "s3://b/only.py" } } } },
  sequential: {
    name: "sequential",
    pollSeconds: 45,
    input: { rootPath: null },
    jobs: {
      extract: { batch: { file: "{{rootPath}}/extract.py" } },
      transform: { batch: { file: "{{rootPath}}/transform.py" }, dependsOn: ["extract"] },
      load: { batch: { file: "{{rootPath}}/load.py" }, dependsOn: ["transform"] },
    },
  },
  parallel: {
    name: "parallel",
    jobs: {
      a: { batch: { file: "a.py" } },
      b: { batch: { file: "b.py" } },
      c: { batch: { file: "c.py", args: ["--day", "{{day}}"] } },
    },
    input: { day: "2026-01-01" },
  },
  diamond: {
    name: "diamond",
    jobs: {
      extract: { batch: { file: "e.py" } },
      left: { batch: { file: "l.py" }, dependsOn: ["extract"] },
      right: { batch: { file: "r.py" }, dependsOn: ["extract"] },
      load: { batch: { file: "load.py" }, dependsOn: ["left", "right"] },
    },
  },
  retries: {
    name: "retries",
    jobs: {
      flaky: { batch: { file: "f.py", conf: { "spark.executor.memory": "4g" } }, retries: 3 },
      slow: { batch: { file: "s.py" }, dependsOn: ["flaky"], retries: 1, timeoutSeconds: 7200 },
    },
  },
  sns: {
    name: "alerts",
    onFailure: { snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:etl-alerts" },
    jobs: {
      a: { batch: { file: "a.py" }, retries: 1 },
      b: { batch: { file: "b.py" }, dependsOn: ["a"] },
      c: { batch: { file: "c.py" }, dependsOn: ["a"], timeoutSeconds: 60 },
    },
  },
};

/** A small valid state machine the invalid corpus is derived from. */
function base(): Record<string, unknown> & { States: Record<string, Record<string, unknown>> } {
  return {
    StartAt: "Work",
    States: {
      Work: { Type: "Task", Resource: LAMBDA, Next: "Done?" },
      "Done?": {
        Type: "Choice",
        Choices: [{ Variable: "$.ok", BooleanEquals: true, Next: "Done" }],
        Default: "Failed",
      },
      Done: { Type: "Succeed" },
      Failed: { Type: "Fail", Error: "Nope", Cause: "it failed" },
    },
  };
}
function edit(change: (d: ReturnType<typeof base>) => void) {
  const d = base();
  change(d);
  return d;
}

const invalid: Record<string, unknown> = {
  "missing Next target": edit((d) => {
    d.States.Work!.Next = "Nowhere";
  }),
  "unreachable state": edit((d) => {
    d.States.Orphan = { Type: "Pass", End: true };
  }),
  "bad Task ARN": edit((d) => {
    d.States.Work!.Resource = "lambda-function-name";
  }),
  "bad InputPath": edit((d) => {
    d.States.Work!.InputPath = "$$$";
  }),
  "bad ResultPath": edit((d) => {
    d.States.Work!.ResultPath = "$.a[";
  }),
  "bad payload template path": edit((d) => {
    d.States.Work!.Parameters = { "batch.$": "not a path" };
  }),
  "bad intrinsic function": edit((d) => {
    d.States.Work!.Parameters = { "n.$": "States.MathAdd($.a, " };
  }),
  "duplicate names across Parallel branches": {
    StartAt: "P",
    States: {
      P: {
        Type: "Parallel",
        End: true,
        Branches: [
          { StartAt: "Same", States: { Same: { Type: "Pass", End: true } } },
          { StartAt: "Same", States: { Same: { Type: "Pass", End: true } } },
        ],
      },
    },
  },
  "branch leaves its Parallel": {
    StartAt: "P",
    States: {
      P: {
        Type: "Parallel",
        Next: "After",
        Branches: [{ StartAt: "In", States: { In: { Type: "Pass", Next: "After" } } }],
      },
      After: { Type: "Succeed" },
    },
  },
  "Wait with two durations": edit((d) => {
    d.States.Work = { Type: "Wait", Seconds: 5, Timestamp: "2026-01-01T00:00:00Z", Next: "Done?" };
  }),
  "Wait without a duration": edit((d) => {
    d.States.Work = { Type: "Wait", Next: "Done?" };
  }),
  "Wait with negative seconds": edit((d) => {
    d.States.Work = { Type: "Wait", Seconds: -1, Next: "Done?" };
  }),
  "unknown state type": edit((d) => {
    d.States.Work!.Type = "Magic";
  }),
  "Choice without Choices": edit((d) => {
    delete d.States["Done?"]!.Choices;
  }),
  "Choice with empty Choices": edit((d) => {
    d.States["Done?"]!.Choices = [];
  }),
  "Choice rule without a comparison": edit((d) => {
    d.States["Done?"]!.Choices = [{ Variable: "$.ok", Next: "Done" }];
  }),
  "Next and End": edit((d) => {
    d.States.Work!.End = true;
  }),
  "neither Next nor End": edit((d) => {
    delete d.States.Work!.Next;
  }),
  "no terminal state": {
    StartAt: "A",
    States: { A: { Type: "Pass", Next: "B" }, B: { Type: "Pass", Next: "A" } },
  },
  "missing StartAt": edit((d) => {
    delete d.StartAt;
  }),
  "StartAt names no state": edit((d) => {
    d.StartAt = "Begin";
  }),
  "empty States": { StartAt: "A", States: {} },
  "empty object": {},
  "two timeouts on a Task": edit((d) => {
    d.States.Work!.TimeoutSeconds = 10;
    d.States.Work!.TimeoutSecondsPath = "$.timeout";
  }),
  "two heartbeats on a Task": edit((d) => {
    d.States.Work!.HeartbeatSeconds = 10;
    d.States.Work!.HeartbeatSecondsPath = "$.beat";
  }),
  "Fail with Cause and CausePath": edit((d) => {
    d.States.Failed!.CausePath = "$.cause";
  }),
  "Fail with Error and ErrorPath": edit((d) => {
    d.States.Failed!.ErrorPath = "$.error";
  }),
  "duplicate payload field": edit((d) => {
    d.States.Work!.Parameters = { id: 1, "id.$": "$.id" };
  }),
  "Retry with a bad MaxAttempts": edit((d) => {
    d.States.Work!.Retry = [{ ErrorEquals: ["States.ALL"], MaxAttempts: -2 }];
  }),
  "Catch to a missing state": edit((d) => {
    d.States.Work!.Catch = [{ ErrorEquals: ["States.ALL"], Next: "Recover" }];
  }),
  "Map without ItemProcessor": edit((d) => {
    d.States.Work = { Type: "Map", ItemsPath: "$.items", Next: "Done?" };
  }),
  "Map with Items and ItemsPath, ItemSelector and Parameters": {
    QueryLanguage: "JSONPath",
    StartAt: "M",
    States: {
      M: {
        Type: "Map",
        ItemsPath: "$.items",
        Items: [1, 2],
        ItemSelector: { "v.$": "$$.Map.Item.Value" },
        Parameters: { "v.$": "$$.Map.Item.Value" },
        MaxConcurrency: 2,
        MaxConcurrencyPath: "$.n",
        ItemProcessor: { StartAt: "I", States: { I: { Type: "Pass", End: true } } },
        End: true,
      },
    },
  },
  "JSONata with a broken expression": {
    QueryLanguage: "JSONata",
    StartAt: "A",
    States: { A: { Type: "Pass", Output: "{% $states.input. %}", End: true } },
  },
  "JSONPath field in a JSONata state": {
    QueryLanguage: "JSONata",
    StartAt: "A",
    States: { A: { Type: "Pass", InputPath: "$.x", End: true } },
  },
  "state name too long": {
    StartAt: "x".repeat(81),
    States: { ["x".repeat(81)]: { Type: "Pass", End: true } },
  },
  "Comment not a string": edit((d) => {
    d.Comment = 42;
  }),
  "TimeoutSeconds not an integer": edit((d) => {
    d.TimeoutSeconds = 1.5;
  }),
  "a state that is null": { StartAt: "A", States: { A: null } },
  "a state that is a string": { StartAt: "A", States: { A: "Pass" } },
  "not an object": null,
};

const valid: Record<string, unknown> = {
  "the base machine": base(),
  "JSONata machine": {
    QueryLanguage: "JSONata",
    StartAt: "A",
    States: {
      A: { Type: "Pass", Output: "{% $states.input.x + 1 %}", Next: "B" },
      B: { Type: "Task", Resource: LAMBDA, Arguments: { n: "{% $states.input %}" }, End: true },
    },
  },
  "Map with an ItemProcessor": {
    StartAt: "M",
    States: {
      M: {
        Type: "Map",
        ItemsPath: "$.items",
        ItemSelector: { "v.$": "$$.Map.Item.Value" },
        ItemProcessor: {
          ProcessorConfig: { Mode: "INLINE" },
          StartAt: "I",
          States: { I: { Type: "Pass", End: true } },
        },
        End: true,
      },
    },
  },
  "SDK integration and intrinsics": edit((d) => {
    d.States.Work = {
      Type: "Task",
      Resource: "arn:aws:states:::sns:publish",
      Parameters: {
        TopicArn: "arn:aws:sns:eu-west-1:123456789012:t",
        "Message.$": "States.Format('x {}', $.a)",
      },
      Next: "Done?",
    };
  }),
};

describe("validateStateMachine (differential, asl-validator 4.0.0 is the oracle)", () => {
  it("uses the asl-validator release it mirrors", () => {
    const req = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(req.resolve("asl-validator/package.json"), "utf8")) as {
      version: string;
    };
    // A different release may have changed validator.ts's checks: this file must be re-read then.
    expect(pkg.version).toBe("4.0.0");
  });

  it("finds the problems asl-validator reports, without modifying the definition", () => {
    const definition = edit((d) => {
      d.States.Work!.Next = "Nowhere";
    });
    const result = validateStateMachine(definition);
    expect(result.isValid).toBe(false);
    expect(result.errorsText("|")).toBe(
      "MISSING_TRANSITION_TARGET: State Done? is not reachable|" +
        "MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: Nowhere",
    );
    expect(definition.States.Work).toEqual({ Type: "Task", Resource: LAMBDA, Next: "Nowhere" });
    const ok = validateStateMachine(base());
    expect(ok).toMatchObject({ isValid: true, errors: [] });
    expect(ok.errorsText()).toBe("");
    // asl-validator's own options: an options object without checkArn does not check ARNs.
    const badArn = edit((d) => {
      d.States.Work!.Resource = "not-an-arn";
    });
    expect(validateStateMachine(badArn).errorsText()).toMatch(/Resource is invalid/);
    expect(validateStateMachine(badArn, { checkPaths: true }).isValid).toBe(true);
  });

  describe("compiled pipelines", { tags: ["slow"] }, () => {
    it.each(Object.keys(pipelines))("%s", (name) => {
      const definition = toStateMachine(definePipeline(pipelines[name]!), arns);
      expect(compare(definition)).toMatchObject({ isValid: true, errors: [] });
    });

    it("a 50-job DAG and a sweep of random DAGs", () => {
      let seed = 11;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const shapes = [50, 1 + Math.floor(random() * 15), 1 + Math.floor(random() * 15)];
      for (const [sample, count] of shapes.entries()) {
        const jobs: Record<string, PipelineJob> = {};
        for (let i = 0; i < count; i++) {
          const dependsOn = Array.from({ length: i }, (_, j) => `j${j}`).filter((_, j) =>
            count === 50 ? j === i - 5 : random() < 0.3,
          );
          jobs[`j${i}`] = { batch: { file: `j${i}.py` }, dependsOn, retries: i % 3 };
        }
        const definition = toStateMachine(definePipeline({ name: `dag-${sample}`, jobs }), arns);
        expect(compare(definition)).toMatchObject({ isValid: true, errors: [] });
      }
    });
  });

  describe("a corpus of invalid definitions", { tags: ["slow"] }, () => {
    it.each(Object.keys(invalid))("%s", (name) => {
      const result = compare(invalid[name]);
      // Every entry is invalid or makes asl-validator throw; never silently valid.
      expect("threw" in result ? result.threw : result.isValid).not.toBe(true);
    });
  });

  describe("valid definitions beyond what the compiler emits", { tags: ["slow"] }, () => {
    it.each(Object.keys(valid))("%s", (name) => {
      expect(compare(valid[name])).toMatchObject({ isValid: true, errors: [] });
    });
  });

  describe("each combination of options", { tags: ["slow"] }, () => {
    const cases = [
      "bad Task ARN",
      "bad InputPath",
      "bad payload template path",
      "JSONata with a broken expression",
      "missing Next target",
    ];
    const combos: Array<AslValidationOptions | undefined> = [
      undefined,
      {},
      { checkArn: true },
      { checkPaths: true },
      { checkPaths: false, checkArn: false },
      { checkPaths: true, checkArn: true },
    ];
    it.each(combos.map((c) => [JSON.stringify(c) ?? "no options", c] as const))(
      "%s",
      (_, options) => {
        const results = cases.map((name) => compare(invalid[name], options));
        expect(results).toHaveLength(cases.length);
      },
    );
  });
});
