/** A logger in the shape of `console` and the AWS SDK's `logger`. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Where the job sits in its pipeline (CodePipeline `PipelineContext`). */
export interface PipelineInfo {
  pipelineName: string | undefined;
  pipelineArn: string | undefined;
  pipelineExecutionId: string | undefined;
  stageName: string | undefined;
  actionName: string | undefined;
  actionExecutionId: string | undefined;
}

/** One input artifact, downloaded and unzipped into a private folder. */
export interface InputArtifact {
  readonly name: string;
  /** The source revision it was built from, when CodePipeline knows it. */
  readonly revision: string | undefined;
  /** The folder holding the unzipped files. */
  readonly dir: string;
  /** Relative paths of the extracted files, in zip order. */
  readonly files: readonly string[];
  /** Bytes extracted. */
  readonly bytes: number;
}

/** One output artifact: put files in `dir` (or through `writeFile`); the worker zips and uploads it after the handler returns. */
export interface OutputArtifact {
  readonly name: string;
  /** A private, initially empty folder; its content becomes the artifact. */
  readonly dir: string;
  /** Writes one file (parent folders are created) under `dir`. */
  writeFile(path: string, data: string | Uint8Array | NodeJS.ReadableStream): Promise<void>;
}

/** Everything a handler gets for one job. */
export interface JobContext<Config> {
  readonly jobId: string;
  readonly accountId: string | undefined;
  /** The action's configuration, parsed and typed from its declared properties. */
  readonly configuration: Config;
  readonly inputArtifacts: readonly InputArtifact[];
  readonly outputArtifacts: readonly OutputArtifact[];
  /** The input artifact by name (or the only one); throws `INVALID_ARGUMENT` when absent. */
  input(name?: string): InputArtifact;
  /** The output artifact by name (or the only one); throws `INVALID_ARGUMENT` when absent. */
  output(name?: string): OutputArtifact;
  readonly pipeline: PipelineInfo;
  /** Set when CodePipeline hands back a job the handler continued earlier. */
  readonly continuationToken: string | undefined;
  /** A private scratch folder, removed after the job. */
  readonly workDir: string;
  /** Aborts when the job times out or the worker shuts down. */
  readonly signal: AbortSignal;
  /** Records progress; reported as `percentComplete` and summary, and to `onProgress`. */
  progress(percent: number, summary?: string): void;
  /** A logger that replaces the values of secret properties with `***`. */
  readonly logger: Logger;
}
