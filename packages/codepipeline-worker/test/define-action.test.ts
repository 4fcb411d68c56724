import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CodepipelineWorkerError,
  type ConfigurationProperty,
  defineAction,
  diffActionType,
  parseConfiguration,
  toCreateCustomActionTypeBody,
} from "../src/index.js";

const base = {
  actionTypeId: { category: "Deploy", provider: "Artifactory", version: "1" },
  inputArtifacts: { min: 1, max: 1 },
  outputArtifacts: { min: 0, max: 0 },
  handler: () => undefined,
} as const;

const prop = (name: string, extra: Partial<ConfigurationProperty> = {}): ConfigurationProperty => ({
  name,
  required: false,
  key: false,
  secret: false,
  ...extra,
});

function problemsOf(input: unknown): string[] {
  try {
    defineAction(input as Parameters<typeof defineAction>[0]);
  } catch (error) {
    expect(error).toBeInstanceOf(CodepipelineWorkerError);
    expect((error as CodepipelineWorkerError).code).toBe("INVALID_ACTION_DEFINITION");
    return (error as CodepipelineWorkerError).differences ?? [];
  }
  return [];
}

describe("defineAction", () => {
  it("infers the handler's configuration type from the properties", () => {
    // The type assertion is checked by the typecheck; at run time the values the handler gets
    // (parsed by the same properties) have the types the inferred type promises.
    const action = defineAction({
      ...base,
      configurationProperties: [
        { name: "Url", required: true, key: true, secret: false, type: "String" },
        { name: "Port", required: false, key: false, secret: false, type: "Number" },
        { name: "DryRun", required: true, key: false, secret: false, type: "Boolean" },
        { name: "Token", required: true, key: false, secret: true },
      ],
      handler(ctx) {
        expectTypeOf(ctx.configuration).toEqualTypeOf<{
          Url: string;
          Port: number | undefined;
          DryRun: boolean;
          Token: string;
        }>();
        return undefined;
      },
    });
    const parsed = parseConfiguration(action.configurationProperties, {
      Url: "https://repo.example",
      DryRun: "false",
      Token: "t0ken",
    });
    expect(parsed).toEqual({
      Url: "https://repo.example",
      Port: undefined,
      DryRun: false,
      Token: "t0ken",
    });
    expect(typeof parsed.DryRun).toBe("boolean");
  });

  it("accepts a valid definition and marks it Custom", () => {
    const action = defineAction({
      ...base,
      settings: { entityUrlTemplate: "https://x/{Config:Url}" },
      configurationProperties: [prop("Url", { required: true })],
    });
    expect(action.actionTypeId).toEqual({
      category: "Deploy",
      provider: "Artifactory",
      version: "1",
      owner: "Custom",
    });
    expect(Object.isFrozen(action)).toBe(true);
  });

  it("refuses more than 10 properties", () => {
    const props = Array.from({ length: 11 }, (_, i) => prop(`P${i}`));
    expect(problemsOf({ ...base, configurationProperties: props })).toEqual([
      "an action may declare at most 10 configuration properties (got 11)",
    ]);
  });

  it("refuses more than one queryable property, and queryable ones that are optional or secret", () => {
    const problems = problemsOf({
      ...base,
      configurationProperties: [
        prop("A", { queryable: true, required: true }),
        prop("B", { queryable: true, secret: true, required: true }),
      ],
    });
    expect(problems).toContain("at most one configuration property may be queryable (got A, B)");
    expect(problems).toContain(
      'configurationProperties[1] "B" is queryable, so it must be required and not secret',
    );
    expect(
      problemsOf({ ...base, configurationProperties: [prop("A", { queryable: true })] }),
    ).toEqual([
      'configurationProperties[0] "A" is queryable, so it must be required and not secret',
    ]);
  });

  it("refuses artifact counts outside 0–5 or min > max", () => {
    expect(problemsOf({ ...base, inputArtifacts: { min: 0, max: 6 } })[0]).toMatch(
      /inputArtifacts.*0 to 5/,
    );
    expect(problemsOf({ ...base, outputArtifacts: { min: -1, max: 1 } })[0]).toMatch(
      /outputArtifacts.*0 to 5/,
    );
    expect(problemsOf({ ...base, outputArtifacts: { min: 2, max: 1 } })).toEqual([
      "outputArtifacts.min (2) is greater than outputArtifacts.max (1)",
    ]);
  });

  it("checks the id, names, types, descriptions, URL templates and handler", () => {
    expect(
      problemsOf({
        ...base,
        actionTypeId: { category: "Magic", provider: "a b", version: "1234567890" },
      }),
    ).toHaveLength(3);
    expect(problemsOf({ ...base, configurationProperties: [prop("A"), prop("A")] })).toEqual([
      'configurationProperties[1].name "A" is declared twice',
    ]);
    expect(
      problemsOf({ ...base, configurationProperties: [prop("A", { type: "Date" as never })] })[0],
    ).toMatch(/type must be one of/);
    expect(
      problemsOf({
        ...base,
        configurationProperties: [prop("A", { description: "x".repeat(161) })],
      })[0],
    ).toMatch(/160/);
    expect(
      problemsOf({ ...base, settings: { entityUrlTemplate: "https://x/{Config:Nope}" } })[0],
    ).toMatch(/Nope.*not declared/);
    expect(
      problemsOf({
        ...base,
        configurationProperties: [prop("T", { secret: true, required: true })],
        settings: { executionUrlTemplate: "{Config:T}" },
      })[0],
    ).toMatch(/must be required and not secret/);
    expect(problemsOf({ ...base, handler: "nope" })).toEqual(["handler must be a function"]);
    expect(problemsOf({ ...base, actionTypeId: undefined })[0]).toMatch(/actionTypeId is required/);
  });

  it("lists every problem in the error message", () => {
    expect(() =>
      defineAction({ ...base, inputArtifacts: { min: 9, max: 9 }, handler: 1 } as never),
    ).toThrow(/breaks 2 CodePipeline rules/);
  });
});

describe("parseConfiguration", () => {
  const props = [
    prop("Url", { required: true }),
    prop("Port", { type: "Number" }),
    prop("DryRun", { type: "Boolean" }),
    prop("Token", { secret: true, type: "Number" }),
  ];
  it("parses numbers and booleans", () => {
    expect(parseConfiguration(props, { Url: "u", Port: " 8080 ", DryRun: "TRUE" })).toEqual({
      Url: "u",
      Port: 8080,
      DryRun: true,
      Token: undefined,
    });
  });
  it("reports missing and malformed values as CONFIGURATION_ERROR without echoing secrets", () => {
    try {
      parseConfiguration(props, { Port: "eighty", DryRun: "yes", Token: "hunter2" });
      expect.unreachable();
    } catch (error) {
      const e = error as CodepipelineWorkerError;
      expect(e.code).toBe("CONFIGURATION_ERROR");
      expect(e.message).toContain("Url is required");
      expect(e.message).toContain('Port must be a number (got "eighty")');
      expect(e.message).toContain("DryRun must be true or false");
      expect(e.message).toContain("Token must be a number");
      expect(e.message).not.toContain("hunter2");
    }
  });
});

describe("action type body and diff", () => {
  const action = defineAction({
    ...base,
    settings: { entityUrlTemplate: "https://x/{Config:Url}" },
    configurationProperties: [
      prop("Url", { required: true, key: true, description: "where" }),
      prop("Token", { secret: true }),
    ],
  });
  it("builds the CreateCustomActionType body", () => {
    expect(toCreateCustomActionTypeBody(action)).toEqual({
      category: "Deploy",
      provider: "Artifactory",
      version: "1",
      settings: { entityUrlTemplate: "https://x/{Config:Url}" },
      configurationProperties: [
        {
          name: "Url",
          required: true,
          key: true,
          secret: false,
          queryable: false,
          description: "where",
        },
        { name: "Token", required: false, key: false, secret: true, queryable: false },
      ],
      inputArtifactDetails: { minimumCount: 1, maximumCount: 1 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
    });
  });
  it("finds no difference against its own registration and every difference otherwise", () => {
    const body = toCreateCustomActionTypeBody(action);
    const registered = {
      id: { ...action.actionTypeId },
      settings: body.settings,
      actionConfigurationProperties: body.configurationProperties,
      inputArtifactDetails: body.inputArtifactDetails,
      outputArtifactDetails: body.outputArtifactDetails,
    };
    expect(diffActionType(registered, action)).toEqual([]);
    const changed = {
      ...registered,
      settings: {},
      actionConfigurationProperties: [
        { ...body.configurationProperties[0], secret: true },
        { name: "Extra", required: false, key: false, secret: false },
      ],
      outputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
    };
    expect(diffActionType(changed, action)).toEqual([
      'settings.entityUrlTemplate: registered (unset), defined "https://x/{Config:Url}"',
      "outputArtifactDetails.maximumCount: registered 1, defined 0",
      "configurationProperties.Url.secret: registered true, defined false",
      "configurationProperties.Extra: registered, not defined",
      "configurationProperties.Token: not registered, defined",
    ]);
  });
});
