// asl-validator 4.0.0 ships no type declarations; this is the part the package uses.
declare module "asl-validator" {
  interface AslValidationResult {
    isValid: boolean;
    errors: unknown[];
    errorsText(separator?: string): string;
  }
  interface AslValidatorOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;
  export default aslValidator;
}
