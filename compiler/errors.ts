/**
 * Errors that reach the user. Every message is one line; the CLI prints it as `lstm-gen: <message>` and exits
 * with the code of its kind. Anything else that escapes is an internal error (exit 3).
 *
 * Exit codes: 0 ok, 1 verification failed, 2 bad usage or bad input, 3 internal error.
 */
export type ErrorKind = "input" | "usage" | "verify";

export const EXIT_CODES: Readonly<Record<ErrorKind | "internal", number>> = {
  verify: 1,
  input: 2,
  usage: 2,
  internal: 3,
};

export class LstmGenError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(oneLine(message));
    this.name = "LstmGenError";
  }
}

/** Bad input: a model or data file that cannot be used. `file` is named at the start of the message. */
export function inputError(file: string, problem: string): LstmGenError {
  return new LstmGenError("input", `${file}: ${problem}`);
}

export function usageError(message: string): LstmGenError {
  return new LstmGenError("usage", message);
}

/** Collapse a message to one printable line (model-controlled strings may contain newlines). */
export function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, " ").replace(/[\u0000-\u001f\u007f]/g, "?");
}
