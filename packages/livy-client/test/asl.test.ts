import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import { definePipeline, stagesOf, toStateMachine } from "../src/pipeline/index.js";
import { pipelineWithDollarConf } from "./helpers.js";

const arns = {
  submitFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-submit",
  statusFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:livy-status:live",
};

// asl-validator 4 mutates what it is given: it gets a copy.
function validate(definition: unknown): string[] {
  const result = aslValidator(structuredClone(definition) as never);
  return result.isValid ? [] : result.errorsText("\n").split("\n");
}

/** Every state of a definition, nested branches included, by name. */
function allStates(definition: { States: Record<string, Record<string, unknown>> }) {
  const found: Record<string, Record<string, unknown>> = {};
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      found[name] = state;
      for (const branch of (state.Branches as Array<{
        States: Record<string, Record<string, unknown>>;
      }>) ?? [])
        walk(branch.States);
    }
  };
  walk(definition.States);
  return found;
}

describe("toStateMachine", () => {
  it("compiles each job to submit → wait → status → choice, and validates", () => {
    const pipeline = definePipeline({
      name: "taxi",
      pollSeconds: 45,
      input: { rootPath: null },
      jobs: {
        miles: { batch: { file: "{{rootPath}}/miles.py" }, retries: 2, timeoutSeconds: 3600 },
        status: { batch: { file: "{{rootPath}}/status.py" }, dependsOn: ["miles"] },
      },
    });
    const definition = toStateMachine(pipeline, arns);
    expect(validate(definition)).toEqual([]);
    const states = allStates(definition);
    expect(states["miles submit"]).toMatchObject({
      Type: "Task",
      Resource: arns.submitFunctionArn,
      Parameters: {
        pipeline: "taxi",
        job: "miles",
        "execution.$": "$$.Execution.Name",
        batch: { file: "{{rootPath}}/miles.py" },
        "input.$": "$$.Execution.Input",
        timeoutSeconds: 3600,
      },
      Next: "miles wait",
    });
    expect(states["miles wait"]).toEqual({ Type: "Wait", Seconds: 45, Next: "miles status" });
    expect(states["miles status"]).toMatchObject({
      Type: "Task",
      Resource: arns.statusFunctionArn,
      Next: "miles done?",
    });
    // A transient failure of the status task is retried by the state machine, not a job failure.
    expect(
      (states["miles status"]!.Retry as Array<{ ErrorEquals: string[] }>)[0]!.ErrorEquals,
    ).toContain("LivyTransientError");
    expect(states["miles done?"]).toMatchObject({ Type: "Choice", Default: "miles wait" });
    expect(states["miles retry?"]).toMatchObject({
      Choices: [
        { Variable: "$.livy.attempt", NumericLessThanEquals: 2, Next: "miles next attempt" },
      ],
      Default: "miles failed",
    });
    expect(states["miles succeeded"]!.Next).toBe("status start");
    expect(states["status retry?"]).toBeUndefined();
    expect(states["status succeeded"]!.End).toBe(true);
    // Payloads carry ids and states, never logs.
    expect(JSON.stringify(definition)).not.toMatch(/log/i);
  });

  it("runs independent jobs as Parallel branches and publishes to SNS on failure", () => {
    const job = { batch: { file: "a.py" } };
    const pipeline = definePipeline({
      name: "diamond",
      onFailure: { snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:etl-alerts" },
      jobs: {
        extract: job,
        left: { ...job, dependsOn: ["extract"] },
        right: { ...job, dependsOn: ["extract"] },
        load: { ...job, dependsOn: ["left", "right"] },
      },
    });
    expect(stagesOf(pipeline).map((stage) => stage.map((j) => j.name))).toEqual([
      ["extract"],
      ["left", "right"],
      ["load"],
    ]);
    const definition = toStateMachine(pipeline, arns);
    expect(validate(definition)).toEqual([]);
    const states = allStates(definition);
    const stage = states["Stage 2: left, right"]!;
    expect(stage.Type).toBe("Parallel");
    expect((stage.Branches as Array<{ StartAt: string }>).map((b) => b.StartAt)).toEqual([
      "left start",
      "right start",
    ]);
    expect(stage.Next).toBe("load start");
    expect(definition.States["Run pipeline"]).toMatchObject({
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Notify failure" }],
      Next: "Pipeline succeeded",
    });
    expect(definition.States["Notify failure"]).toMatchObject({
      Resource: "arn:aws:states:::sns:publish",
      Parameters: { TopicArn: "arn:aws:sns:eu-west-1:123456789012:etl-alerts" },
      Next: "Pipeline failed",
    });
  });

  it("refuses ARNs that are not Lambda functions", () => {
    const pipeline = definePipeline({ name: "p", jobs: { a: { batch: { file: "a.py" } } } });
    expect(() => toStateMachine(pipeline, { ...arns, statusFunctionArn: "livy-status" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "statusFunctionArn" }),
    );
  });

  it("validates what it compiled when asked, and refuses a definition that does not validate", () => {
    const good = definePipeline({
      name: "checked",
      jobs: { a: { batch: { file: "a.py" } }, b: { batch: { file: "b.py" }, dependsOn: ["a"] } },
    });
    expect(toStateMachine(good, { ...arns, validate: true })).toEqual(toStateMachine(good, arns));
    // A conf key ending in ".$" is a JSONPath to Step Functions: "nope" is not a path.
    // definePipeline refuses such keys; a pipeline object built around it still gets caught here.
    expect(() =>
      definePipeline({
        name: "dollar",
        jobs: { a: { batch: { file: "a.py", conf: { "spark.app.$": "nope" } } } },
      }),
    ).toThrow(
      expect.objectContaining({
        code: "INVALID_PIPELINE",
        field: "jobs.a.batch",
        message: expect.stringContaining('key "spark.app.$" ends in ".$"'),
      }),
    );
    const dollar = pipelineWithDollarConf();
    expect(validate(toStateMachine(dollar, arns))).toEqual([
      'SCHEMA_VALIDATION_FAILED: /States/Run pipeline/Branches/0/States/a submit/Parameters/batch/conf/spark.app.$ is invalid. must match format "asl_payload_template"',
    ]);
    expect(() => toStateMachine(dollar, { ...arns, validate: true })).toThrow(
      expect.objectContaining({
        code: "INVALID_PIPELINE",
        field: "definition",
        message: expect.stringContaining(
          'Parameters/batch/conf/spark.app.$ is invalid. must match format "asl_payload_template"',
        ),
      }),
    );
  });

  it("validates every generated definition for random DAGs", { tags: ["slow"] }, () => {
    // A deterministic sweep of DAG shapes: each job depends on a few earlier ones.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let sample = 0; sample < 8; sample++) {
      const count = 1 + Math.floor(next() * 12);
      const jobs: Record<
        string,
        { batch: { file: string }; dependsOn: string[]; retries: number }
      > = {};
      for (let i = 0; i < count; i++) {
        const dependsOn = Array.from({ length: i }, (_, j) => `j${j}`).filter(() => next() < 0.3);
        jobs[`j${i}`] = { batch: { file: `j${i}.py` }, dependsOn, retries: Math.floor(next() * 3) };
      }
      const definition = toStateMachine(definePipeline({ name: `dag-${sample}`, jobs }), arns);
      expect(validate(definition)).toEqual([]);
      const names = Object.keys(allStates(definition));
      expect(new Set(names).size).toBe(names.length);
      for (let i = 0; i < count; i++) expect(names).toContain(`j${i} submit`);
    }
  });
});
