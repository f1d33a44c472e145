/**
 * CSV sequence reader: one row per time step, one comma-separated column per feature, and a blank line
 * between sequences. Details:
 * - line ends may be `\n`, `\r\n` or `\r`; spaces and tabs around cells are ignored;
 * - several blank lines are one separator; leading and trailing blank lines are ignored;
 * - lines whose first non-blank character is `#` are comments and are skipped (they do not separate);
 * - the first row may be a header of column names; it is recognised by every cell being a name (starting with a
 *   letter, `_` or a quote); a first row mixing names and numbers, or with a cell that starts like a number
 *   (`0.5x`, `1;2`), is an error, so a typo in the first data row is never silently eaten;
 * - every row, header included, has the same number of columns;
 * - cells are decimal numbers (`-1`, `0.5`, `.5`, `1e-3`); anything else, an empty cell included, is an error.
 * Errors name the 1-based line and column.
 */
import { inputError } from "../errors.js";
import type { Sequence, SequenceSet } from "./sequences.js";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Spellings of non-finite values; they count as numbers when spotting a header, then are rejected. */
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

export function parseCsv(file: string, text: string): SequenceSet {
  const fail = (problem: string) => inputError(file, problem);
  const lines = text.split(/\r\n|\r|\n/);

  let features: number | undefined;
  let firstRowLine = 0;
  let sawRow = false;
  const sequences: Sequence[] = [];
  let current: number[] = [];
  let currentSteps = 0;

  const endSequence = () => {
    if (currentSteps > 0) sequences.push({ steps: currentSteps, data: Float64Array.from(current) });
    current = [];
    currentSteps = 0;
  };

  for (let l = 0; l < lines.length; l++) {
    const lineNo = l + 1;
    const trimmed = lines[l]!.trim();
    if (trimmed === "") {
      endSequence();
      continue;
    }
    if (trimmed.startsWith("#")) continue;

    const cells = trimmed.split(",").map((c) => c.trim());
    if (features === undefined) {
      features = cells.length;
      firstRowLine = lineNo;
    } else if (cells.length !== features) {
      throw fail(`line ${lineNo} has ${cells.length} columns but line ${firstRowLine} has ${features}`);
    }

    if (!sawRow) {
      sawRow = true;
      if (cells.every(looksLikeName)) continue; // a header row of names
      const name = cells.findIndex(looksLikeName);
      if (name >= 0 && cells.some(looksNumeric)) {
        throw fail(
          `line ${lineNo}, column ${name + 1}: ${show(cells[name]!)} is not a number ` +
            "(a header row must contain only names, and data rows only numbers)",
        );
      }
    }

    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c]!;
      const at = `line ${lineNo}, column ${c + 1}`;
      if (cell === "") throw fail(`${at} is empty`);
      if (NON_FINITE.test(cell)) throw fail(`${at}: ${show(cell)} is not finite`);
      if (!NUMBER.test(cell)) {
        const hint = /[;\t]/.test(cell) ? " (columns must be separated by commas)" : "";
        throw fail(`${at}: ${show(cell)} is not a number${hint}`);
      }
      const x = Number(cell);
      if (!Number.isFinite(x)) throw fail(`${at}: ${show(cell)} is not finite`);
      current.push(x);
    }
    currentSteps++;
  }
  endSequence();

  if (sequences.length === 0 || features === undefined) throw fail("contains no data rows");
  return { file, features, sequences };
}

/** A header cell: a column name, which starts with a letter of any script (Δt, µV, 温度), `_` or a quote (and is not nan/inf). */
function looksLikeName(cell: string): boolean {
  return /^["'\p{L}_]/u.test(cell) && !looksNumeric(cell);
}

function looksNumeric(cell: string): boolean {
  return NUMBER.test(cell) || NON_FINITE.test(cell);
}

function show(cell: string): string {
  return JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}...` : cell);
}
