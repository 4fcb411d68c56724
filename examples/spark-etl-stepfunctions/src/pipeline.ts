// The pipeline, defined once: taxi trips → miles per rate code → rate code status, with trips
// per hour in parallel. Paths come from the execution input, as the original state machine
// passed S3 paths through its state.
import { definePipeline } from "@tinkerbox/livy-client/pipeline";

export const taxiEtl = definePipeline({
  name: "taxi-etl",
  pollSeconds: 30,
  input: { trips: null, outputRoot: null },
  jobs: {
    "miles-per-rate-code": {
      batch: {
        file: "miles-per-rate-code.mjs",
        args: ["{{trips}}", "{{outputRoot}}/miles-per-rate-code"],
        conf: { "spark.app.name": "miles-per-rate-code" },
      },
      retries: 1,
    },
    "trips-per-hour": {
      batch: { file: "trips-per-hour.mjs", args: ["{{trips}}", "{{outputRoot}}/trips-per-hour"] },
    },
    "rate-code-status": {
      batch: {
        file: "rate-code-status.mjs",
        args: ["{{outputRoot}}/miles-per-rate-code", "{{outputRoot}}/rate-code-status"],
      },
      dependsOn: ["miles-per-rate-code"],
      timeoutSeconds: 600,
    },
  },
});
