export const EXIT_CODES = {
    verify: 1,
    input: 2,
    usage: 2,
    internal: 3,
};
export class LstmGenError extends Error {
    kind;
    constructor(kind, message) {
        super(oneLine(message));
        this.kind = kind;
        this.name = "LstmGenError";
    }
}
/** Bad input: a model or data file that cannot be used. `file` is named at the start of the message. */
export function inputError(file, problem) {
    return new LstmGenError("input", `${file}: ${problem}`);
}
export function usageError(message) {
    return new LstmGenError("usage", message);
}
/** Collapse a message to one printable line (model-controlled strings may contain newlines). */
export function oneLine(s) {
    return s.replace(/[\r\n\u2028\u2029]+/g, " ").replace(/[\u0000-\u001f\u007f]/g, "?");
}
