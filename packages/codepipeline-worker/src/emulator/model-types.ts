/** A constraint set from the Smithy model (`@length`, `@pattern`, `@range`, enum values). */
export interface ModelConstraints {
  length?: { min?: number; max?: number };
  pattern?: string;
  range?: { min?: number; max?: number };
  enum?: readonly (string | number)[];
}

/** A member of a structure shape. */
export interface ModelMember extends ModelConstraints {
  target: string;
  required?: boolean;
}

/** One shape of the model, reduced to what validating a request needs. */
export interface ModelShape extends ModelConstraints {
  type: string;
  members?: Readonly<Record<string, ModelMember>>;
  member?: string;
  key?: string;
  value?: string;
}

/** One operation: its input shape and declared errors. */
export interface ModelOperation {
  input: string;
  errors: readonly string[];
}
