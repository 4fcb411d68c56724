import { type CodePipelineClient, GetJobDetailsCommand } from "@aws-sdk/client-codepipeline";
import type { ArtifactCredentials } from "../adapters/s3.js";
import { CodepipelineWorkerError } from "../errors.js";

/**
 * A job's artifact credentials. They last about 15 minutes, so they are fetched again through
 * `GetJobDetails` once `refreshMs` has passed, or at once when S3 says they expired.
 */
export class JobCredentials {
  #current: ArtifactCredentials;
  #fetchedAt: number;
  #pending: Promise<ArtifactCredentials> | undefined;
  /** How many times fresh credentials were fetched. */
  refreshes = 0;

  constructor(
    initial: ArtifactCredentials | undefined,
    private readonly options: {
      client: CodePipelineClient;
      jobId: string;
      refreshMs: number;
      now: () => number;
      /** Called with each set of fresh credentials (so their values are redacted too). */
      onRefresh?: (credentials: ArtifactCredentials) => void;
    },
  ) {
    this.#current = initial ?? { accessKeyId: "", secretAccessKey: "", sessionToken: "" };
    this.#fetchedAt = initial ? options.now() : Number.NEGATIVE_INFINITY;
  }

  /** The credentials to sign with now, refreshed when older than `refreshMs`. */
  async get(): Promise<ArtifactCredentials & { expiration: Date }> {
    if (this.options.now() - this.#fetchedAt >= this.options.refreshMs) await this.refresh();
    return { ...this.#current, expiration: new Date(this.#fetchedAt + this.options.refreshMs) };
  }

  /** Fetches fresh credentials through GetJobDetails (one request at a time). */
  refresh(): Promise<ArtifactCredentials> {
    this.#pending ??= (async () => {
      try {
        const out = await this.options.client.send(
          new GetJobDetailsCommand({ jobId: this.options.jobId }),
        );
        const c = out.jobDetails?.data?.artifactCredentials;
        if (!c?.accessKeyId || !c.secretAccessKey || !c.sessionToken) {
          throw new CodepipelineWorkerError(
            "CREDENTIALS_EXPIRED",
            `GetJobDetails for job ${this.options.jobId} returned no artifact credentials.`,
            { jobId: this.options.jobId },
          );
        }
        this.#current = {
          accessKeyId: c.accessKeyId,
          secretAccessKey: c.secretAccessKey,
          sessionToken: c.sessionToken,
        };
        this.#fetchedAt = this.options.now();
        this.refreshes++;
        this.options.onRefresh?.(this.#current);
        return this.#current;
      } catch (cause) {
        if (cause instanceof CodepipelineWorkerError) throw cause;
        throw new CodepipelineWorkerError(
          "CREDENTIALS_EXPIRED",
          `Could not refresh the artifact credentials of job ${this.options.jobId} through GetJobDetails: ${(cause as Error).name}.`,
          { cause, jobId: this.options.jobId },
        );
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }
}
