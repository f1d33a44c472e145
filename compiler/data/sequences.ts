/** Input sequences as every engine consumes them. */
export interface Sequence {
  /** Number of time steps T. */
  readonly steps: number;
  /** [T, features] row-major. */
  readonly data: Float64Array;
}

export interface SequenceSet {
  /** The file they were read from (for error messages). */
  readonly file: string;
  /** Features per step I. */
  readonly features: number;
  readonly sequences: readonly Sequence[];
}
