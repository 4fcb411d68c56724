/**
 * Limits of the real service that its Smithy model does not carry (the model has lengths,
 * patterns, ranges and enums; these come from the CodePipeline API Reference and User Guide,
 * "Quotas in AWS CodePipeline"). The emulator's own table: never imported from the worker.
 */
export const SERVICE_QUOTAS = {
  /** PutJobSuccessResult: all output variables of an action together, in bytes (OutputVariablesSizeExceededException). */
  outputVariablesBytes: 122_880,
  /** A queryable property's value in a pipeline: at most 20 characters of A-Z a-z 0-9 _ - (ActionConfigurationProperty.queryable). */
  queryableValueLength: 20,
  queryableValuePattern: /^[A-Za-z0-9_-]+$/,
  /** ActionConfigurationProperty.queryable: at most one per action, required and not secret. */
  maxQueryableProperties: 1,
  /** AWS tagging rules: at most 50 tags, keys unique, the `aws:` prefix reserved. */
  maxTags: 50,
} as const;
