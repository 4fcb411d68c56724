// The custom action: Deploy / Custom / Artifactory / 1. A folder plays the Artifactory repository
// so the example runs without one; a real action would PUT each file to the repository's REST API.
// `codepipeline-worker run src/action.ts` serves this module as it is.
import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { defineAction, jobFailure } from "@tinkerbox/codepipeline-worker";

export default defineAction({
  actionTypeId: { category: "Deploy", provider: "Artifactory", version: "1" },
  settings: {
    entityUrlTemplate: "file://{Config:RepositoryPath}",
    executionUrlTemplate: "file://{Config:RepositoryPath}/{ExternalExecutionId}",
  },
  configurationProperties: [
    {
      // Queryable: each worker fleet serves one repository. A pipeline may give it at most 20
      // characters of A-Z a-z 0-9 _ - (the emulator checks this as the service does).
      name: "Repository",
      required: true,
      key: true,
      secret: false,
      queryable: true,
      description: "Repository key, e.g. web-releases",
    },
    {
      name: "RepositoryPath",
      required: true,
      key: false,
      secret: false,
      description: "Where releases are published",
    },
    {
      name: "ApiKey",
      required: true,
      key: false,
      secret: true,
      description: "Artifactory API key",
    },
    { name: "KeepReleases", required: false, key: false, secret: false, type: "Number" },
  ],
  inputArtifacts: { min: 1, max: 1 },
  outputArtifacts: { min: 0, max: 1 },
  async handler(ctx) {
    const { RepositoryPath, ApiKey, KeepReleases } = ctx.configuration;
    ctx.logger.info(`publishing to ${RepositoryPath} with API key ${ApiKey}`);
    if (!ApiKey.startsWith("AKCp")) {
      throw jobFailure(
        "PermissionError",
        "Artifactory refused the API key (it must be an AKCp… key)",
      );
    }
    const input = ctx.input();
    const release = ctx.pipeline.pipelineExecutionId ?? ctx.jobId;
    const target = join(RepositoryPath, release);
    await mkdir(target, { recursive: true });
    await cp(input.dir, target, { recursive: true });
    ctx.progress(90, `copied ${input.files.length} files`);
    if (ctx.outputArtifacts.length > 0) {
      await ctx
        .output()
        .writeFile(
          "release.json",
          JSON.stringify({ release, files: input.files, keep: KeepReleases ?? 10 }, null, 2),
        );
    }
    return {
      summary: `Published ${input.files.length} files (${input.bytes} bytes) as release ${release}`,
      externalExecutionId: release,
      outputVariables: { RELEASE: release, FILES: String(input.files.length) },
    };
  },
});
