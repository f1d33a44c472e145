import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LstmGenError } from "../compiler/errors.js";
import { MAX_NPY_ELEMENTS, writeNpy } from "../compiler/data/npy.js";
import { dataOptionsFor, readSequences } from "../compiler/data/read.js";
import type { SequenceSet } from "../compiler/data/sequences.js";

const dir = mkdtempSync(join(tmpdir(), "lstm-gen-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Write `content` to a fresh file with the given extension and return its path. */
function put(ext: string, content: string | Uint8Array): string {
  const file = join(dir, `f${counter++}${ext}`);
  writeFileSync(file, content);
  return file;
}

/** Assert that reading `file` fails with a one-line input error that names the file and matches `problem`. */
function expectInputError(file: string, problem: RegExp, opts?: { features?: number; steps?: number }): string {
  let caught: unknown;
  try {
    readSequences(file, opts);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LstmGenError);
  const err = caught as LstmGenError;
  expect(err.kind).toBe("input");
  expect(err.message.startsWith(`${file}: `)).toBe(true);
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message).toMatch(problem);
  return err.message;
}

/** The sequences as plain nested arrays, for easy comparison. */
function nested(set: SequenceSet): number[][][] {
  return set.sequences.map((s) => {
    expect(s.data.length).toBe(s.steps * set.features);
    const rows: number[][] = [];
    for (let t = 0; t < s.steps; t++) {
      rows.push(Array.from(s.data.subarray(t * set.features, (t + 1) * set.features)));
    }
    return rows;
  });
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

// Produced by numpy 1.24.2; regenerate with:
//   python3 -c "import numpy as np; np.save('/tmp/x.npy', np.arange(6, dtype=np.float32).reshape(1,3,2))"
//   base64 -w0 /tmp/x.npy
const NUMPY_F4_1x3x2 = b64(
  "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=",
);
// np.save(f, np.array([[0.5, -1.25], [3.0, 1e-300], [2.5, 7.0]]))
const NUMPY_F8_3x2 = b64(
  "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADgPwAAAAAAAPS/AAAAAAAACEBZ8/jCH26lAQAAAAAAAARAAAAAAAAAHEA=",
);
// numpy.lib.format.write_array(f, np.array([[1, 2], [3, 4]], dtype=np.float32), version=(2, 0)) and (3, 0)
const NUMPY_V2_2x2 = b64(
  "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAAQAAAQEAAAIBA",
);
const NUMPY_V3_2x2 = b64(
  "k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAAQAAAQEAAAIBA",
);

/** A version 1.0 .npy file with an arbitrary header dict and data bytes (for malformed-file tests). */
function rawNpy(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const preamble = version === 1 ? 10 : 12;
  const header = Buffer.from(dict + "\n", "latin1");
  const out = new Uint8Array(preamble + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, preamble);
  out.set(data, preamble + header.length);
  return out;
}

describe("npy", () => {
  it("reads what numpy.save writes (float32, 3-D, v1.0)", () => {
    const set = readSequences(put(".npy", NUMPY_F4_1x3x2));
    expect(set.features).toBe(2);
    expect(nested(set)).toEqual([
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    ]);
    expect(set.sequences[0]!.data).toBeInstanceOf(Float64Array);
  });

  it("writeNpy matches numpy.save byte for byte", () => {
    expect(writeNpy(Float32Array.from([0, 1, 2, 3, 4, 5]), [1, 3, 2], "<f4")).toEqual(NUMPY_F4_1x3x2);
    expect(writeNpy(Float64Array.from([0.5, -1.25, 3.0, 1e-300, 2.5, 7.0]), [3, 2], "<f8")).toEqual(NUMPY_F8_3x2);
  });

  it("reads float64 2-D as one sequence, exactly", () => {
    const set = readSequences(put(".npy", NUMPY_F8_3x2));
    expect(set.sequences.length).toBe(1);
    expect(Array.from(set.sequences[0]!.data)).toEqual([0.5, -1.25, 3.0, 1e-300, 2.5, 7.0]);
  });

  it("reads format versions 2.0 and 3.0", () => {
    for (const bytes of [NUMPY_V2_2x2, NUMPY_V3_2x2]) {
      expect(nested(readSequences(put(".npy", bytes)))).toEqual([
        [
          [1, 2],
          [3, 4],
        ],
      ]);
    }
  });

  it.each([
    ["<f4", [4, 3]],
    ["<f8", [4, 3]],
    ["<f4", [2, 5, 3]],
    ["<f8", [2, 5, 3]],
  ] as const)("round-trips %s shape %j through writeNpy", (dtype, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Values exactly representable in float32, so both dtypes round-trip exactly.
    const values = Float64Array.from({ length: n }, (_, k) => (k - 7) * 0.375);
    const set = readSequences(put(".NPY", writeNpy(values, [...shape], dtype)));
    const [seqs, steps, features] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
    expect(set.features).toBe(features);
    expect(set.sequences.length).toBe(seqs);
    const flat: number[] = [];
    for (const s of set.sequences) {
      expect(s.steps).toBe(steps);
      flat.push(...s.data);
    }
    expect(flat).toEqual(Array.from(values));
  });

  it("writeNpy pads the header so the data starts at a multiple of 64", () => {
    for (const shape of [[1, 1], [123456, 7], [3, 1, 99999]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const bytes = writeNpy(new Float32Array(n), shape, "<f4");
      expect((bytes.length - n * 4) % 64).toBe(0);
    }
  });

  it("accepts a header with Python 2 long suffixes, double quotes and no trailing comma", () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const file = put(".npy", rawNpy(`{"descr": "<f4", "shape": (1L, 2L), "fortran_order": False}`, data));
    expect(nested(readSequences(file))).toEqual([[[1, 2]]]);
  });

  it("reads data that starts at an odd offset in the file", () => {
    // Header length chosen so the float64 data is not 8-byte aligned.
    const data = new Uint8Array(new Float64Array([1.5, -2.5]).buffer);
    const bytes = rawNpy(`{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), } `, data);
    expect((bytes.length - data.length) % 8).not.toBe(0);
    const file = put(".npy", bytes);
    expect(nested(readSequences(file))).toEqual([[[1.5, -2.5]]]);
  });

  const f4 = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);
  const hdr = (descr: string, shape: string, fortran = "False") =>
    `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  it("rejects bad magic and unknown versions", () => {
    expectInputError(put(".npy", "not numpy at all"), /not a NumPy \.npy file/);
    expectInputError(put(".npy", new Uint8Array(0)), /not a NumPy \.npy file/);
    const v4 = rawNpy(hdr("<f4", "(1, 1)"), f4(1));
    v4[6] = 4;
    expectInputError(put(".npy", v4), /unsupported \.npy format version 4\.0/);
  });

  it("rejects truncated files", () => {
    expectInputError(put(".npy", NUMPY_F4_1x3x2.subarray(0, 9)), /not a NumPy|truncated/);
    expectInputError(put(".npy", NUMPY_F4_1x3x2.subarray(0, 60)), /truncated \(the \.npy header is incomplete\)/);
    expectInputError(
      put(".npy", NUMPY_F4_1x3x2.subarray(0, NUMPY_F4_1x3x2.length - 1)),
      /truncated: shape \(1, 3, 2\) of <f4 needs 24 data bytes but the file has 23/,
    );
    expectInputError(put(".npy", rawNpy(hdr("<f4", "(1, 1)"), f4(1, 2))), /4 unexpected bytes after the data/);
  });

  it("rejects unsupported dtypes, naming them", () => {
    expectInputError(put(".npy", rawNpy(hdr("<i4", "(1, 1)"), f4(1))), /dtype '<i4', which is not supported/);
    expectInputError(put(".npy", rawNpy(hdr("<f2", "(1, 1)"), f4(1))), /dtype '<f2'/);
    expectInputError(put(".npy", rawNpy(hdr(">f4", "(1, 1)"), f4(1))), /big-endian dtype '>f4'/);
    expectInputError(
      put(".npy", rawNpy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }`, f4(1))),
      /structured dtype/,
    );
  });

  it("rejects Fortran order", () => {
    expectInputError(put(".npy", rawNpy(hdr("<f4", "(2, 2)", "True"), f4(1, 2, 3, 4))), /Fortran order/);
  });

  it("rejects 1-D, 4-D and empty shapes", () => {
    expectInputError(put(".npy", rawNpy(hdr("<f4", "(2,)"), f4(1, 2))), /shape \(2,\); expected 2-D .* or 3-D/);
    expectInputError(put(".npy", rawNpy(hdr("<f4", "()"), f4(1))), /shape \(\); expected 2-D/);
    expectInputError(
      put(".npy", rawNpy(hdr("<f4", "(1, 1, 1, 2)"), f4(1, 2))),
      /shape \(1, 1, 1, 2\); expected 2-D .* or 3-D/,
    );
    expectInputError(put(".npy", rawNpy(hdr("<f4", "(0, 3)"))), /shape \(0, 3\), which contains no data/);
  });

  it("refuses a huge shape from the header without allocating", () => {
    // If any of these were allocated, the typed-array constructor would throw a raw RangeError (or exhaust
    // memory) instead of the input error asserted here.
    const t0 = Date.now();
    expectInputError(put(".npy", rawNpy(hdr("<f8", "(131072, 131072, 131072)"), f4(1))), /at most 268435456/);
    expectInputError(put(".npy", rawNpy(hdr("<f8", "(99999999999999999999, 1)"), f4(1))), /integer too large/);
    expectInputError(put(".npy", rawNpy(hdr("<f8", `(${MAX_NPY_ELEMENTS * 2}, 1)`), f4(1))), /dimension above/);
    // Within the element limit, but the file does not hold the 2 GiB the header promises.
    expectInputError(
      put(".npy", rawNpy(hdr("<f8", `(${MAX_NPY_ELEMENTS}, 1)`), f4(1))),
      /truncated: .* needs 2147483648 data bytes but the file has 4/,
    );
    // A header length field pointing far past the end of the file.
    const big = rawNpy(hdr("<f4", "(1, 1)"), f4(1));
    new DataView(big.buffer).setUint16(8, 0xfff0, true);
    expectInputError(put(".npy", big), /truncated \(the \.npy header is incomplete\)/);
    const v2 = rawNpy(hdr("<f4", "(1, 1)"), f4(1), 2);
    new DataView(v2.buffer).setUint32(8, 0xffffff00, true);
    expectInputError(put(".npy", v2), /header .*is refused/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("rejects header garbage", () => {
    for (const dict of [
      "garbage",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), ",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), } trailing",
      "{'descr': '<f4' 'fortran_order': False, 'shape': (1, 1)}",
      "{'descr': '<f4, 'fortran_order': False, 'shape': (1, 1)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -1)}",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1.5)}",
      "[1, 2]",
    ]) {
      expectInputError(put(".npy", rawNpy(dict, f4(1))), /unreadable \.npy header/);
    }
    expectInputError(put(".npy", rawNpy("{'descr': '<f4', 'shape': (1, 1)}", f4(1))), /no 'fortran_order'/);
    expectInputError(
      put(".npy", rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': 1}", f4(1))),
      /unexpected key 'x'/,
    );
    expectInputError(
      put(".npy", rawNpy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1, 1)}", f4(1))),
      /invalid 'fortran_order'/,
    );
    expectInputError(
      put(".npy", rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': 'x\\ny'}", f4(1))),
      /invalid 'shape'/,
    );
  });

  it("rejects NaN and infinity, naming the sequence, step and feature", () => {
    const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    values[7] = NaN;
    expectInputError(
      put(".npy", writeNpy(values, [2, 2, 2], "<f8")),
      /non-finite value \(NaN\) at sequence 1, step 1, feature 1 \(index \[1\]\[1\]\[1\]\)/,
    );
    values[7] = 0;
    values[2] = -Infinity;
    expectInputError(
      put(".npy", writeNpy(Float32Array.from(values), [4, 2], "<f4")),
      /non-finite value \(-Infinity\) at sequence 0, step 1, feature 0 \(index \[1\]\[0\]\)/,
    );
  });
});

describe("json", () => {
  it("reads [T][I] as one sequence", () => {
    const set = readSequences(put(".json", "[[1, 2.5], [-3e-2, 4]]"));
    expect(set.features).toBe(2);
    expect(nested(set)).toEqual([
      [
        [1, 2.5],
        [-0.03, 4],
      ],
    ]);
  });

  it("reads [N][T][I] with sequences of different lengths", () => {
    const data = [[[1], [2], [3]], [[4]], [[5], [6]]];
    const set = readSequences(put(".json", JSON.stringify(data)));
    expect(set.features).toBe(1);
    expect(set.sequences.map((s) => s.steps)).toEqual([3, 1, 2]);
    expect(nested(set)).toEqual(data);
  });

  it('reads { "data": ... } and ignores other keys', () => {
    const data = [
      [
        [1, 2],
        [3, 4],
      ],
    ];
    const set = readSequences(put(".json", JSON.stringify({ data, note: "x" })));
    expect(nested(set)).toEqual(data);
  });

  it("round-trips values exactly", () => {
    const data = [[[0.1, -1e-300, 123456789.123456789, 5e-324]]];
    expect(nested(readSequences(put(".json", JSON.stringify(data))))).toEqual(data);
  });

  it("rejects bad JSON and bad shapes", () => {
    expectInputError(put(".json", "[[1, 2],"), /is not valid JSON/);
    expectInputError(put(".json", ""), /is not valid JSON/);
    expectInputError(put(".json", "[]"), /is an empty array/);
    expectInputError(put(".json", "[[]]"), /\[0\] is an empty step/);
    expectInputError(put(".json", "[1, 2, 3]"), /flat list of numbers/);
    expectInputError(put(".json", "[[[[1]]]]"), /nested 4 deep/);
    expectInputError(put(".json", '"hello"'), /is a string; expected \[steps\]\[features\]/);
    expectInputError(put(".json", '{"values": [[1]]}'), /without a "data" key/);
    expectInputError(put(".json", '{"data": [[1], [2, 3]]}'), /\.data\[1\] has 2 features but \.data\[0\] has 1/);
    expectInputError(put(".json", "[[[1]], []]"), /\[1\] is an empty sequence/);
    expectInputError(put(".json", "[[[1]], 5]"), /\[1\] is a number, expected an array of steps/);
    expectInputError(put(".json", "[[1], 5]"), /\[1\] is a number, expected an array of features/);
  });

  it("rejects ragged rows, naming both", () => {
    expectInputError(
      put(".json", "[[[1, 2], [3, 4]], [[5, 6], [7]]]"),
      /\[1\]\[1\] has 1 features but \[0\]\[0\] has 2/,
    );
    expectInputError(put(".json", "[[1, 2], [3, 4, 5]]"), /\[1\] has 3 features but \[0\] has 2/);
  });

  it("rejects non-numbers, naming the path", () => {
    const data = [[[0, 0]], [[0, 0]], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, "x"]]];
    expectInputError(put(".json", JSON.stringify(data)), /\[2\]\[5\]\[1\] is a string, expected a number/);
    expectInputError(put(".json", "[[1, null]]"), /\[0\]\[1\] is null, expected a number/);
    expectInputError(put(".json", "[[1, true]]"), /\[0\]\[1\] is a boolean, expected a number/);
    expectInputError(put(".json", "[[1, 2], [[3], 4]]"), /\[1\]\[0\] is an array, expected a number/);
    expectInputError(put(".json", "[[1e400]]"), /\[0\]\[0\] is not finite \(Infinity\)/);
  });

  it("rejects invalid UTF-8", () => {
    expectInputError(put(".json", new Uint8Array([0x5b, 0x5b, 0xff, 0x5d, 0x5d])), /not valid UTF-8/);
  });
});

describe("csv", () => {
  it("reads one sequence", () => {
    const set = readSequences(put(".csv", "1,2,3\n4,5,6\n"));
    expect(set.features).toBe(3);
    expect(nested(set)).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]);
  });

  it("splits sequences on blank lines, ignoring extra, leading and trailing ones", () => {
    const text = "\n\n1,2\n3,4\n\n\n  \n5,6\n\n7,8\n9,10\n\n\n";
    expect(nested(readSequences(put(".csv", text)))).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [[5, 6]],
      [
        [7, 8],
        [9, 10],
      ],
    ]);
  });

  it("accepts a header, CRLF line ends, whitespace around cells and comments", () => {
    const text =
      "\uFEFF# recorded 2024-01-01\r\ntemp , humidity\r\n 1.5 ,\t-2\r\n# mid-sequence comment\r\n+3e1,.25\r\n\r\n4.,-0\r\n";
    const set = readSequences(put(".csv", text));
    expect(set.features).toBe(2);
    expect(nested(set)).toEqual([
      [
        [1.5, -2],
        [30, 0.25],
      ],
      [[4, -0]],
    ]);
  });

  it("accepts a single column", () => {
    expect(nested(readSequences(put(".csv", "x\n1\n2\n\n3")))).toEqual([[[1], [2]], [[3]]]);
  });

  it("rejects bad cells, naming line and column", () => {
    for (const [cell, problem] of [
      ["1.2.3", /"1\.2\.3" is not a number/],
      ["abc", /"abc" is not a number/],
      ["0x10", /"0x10" is not a number/],
      ["1e", /"1e" is not a number/],
      ["", /is empty/],
      ["nan", /"nan" is not finite/],
      ["-Infinity", /"-Infinity" is not finite/],
      ["1e999", /"1e999" is not finite/],
    ] as const) {
      expectInputError(put(".csv", `1,2\n3,4\n\n5,${cell}\n`), new RegExp(`line 4, column 2:? ${problem.source}`));
    }
    expectInputError(
      put(".csv", "1,2\n3;4,5\n"),
      /line 2, column 1: "3;4" is not a number \(columns must be separated by commas\)/,
    );
  });

  it("rejects a first row that mixes names and numbers", () => {
    expectInputError(put(".csv", "1,abc\n2,3\n"), /line 1, column 2: "abc" is not a number \(a header row must/);
    // A one-column first row that starts like a number is a typo, not a header.
    expectInputError(put(".csv", "0.5x\n1\n2\n"), /line 1, column 1: "0\.5x" is not a number/);
    expectInputError(put(".csv", "1;2\n3\n"), /line 1, column 1: "1;2" is not a number \(columns must be separated by commas\)/);
    expect(nested(readSequences(put(".csv", "\"accel x\",_y\n1,2\n")))).toEqual([[[1, 2]]]);
    // Names in any script are headers.
    expect(nested(readSequences(put(".csv", "Δt,µV,温度\n1,2,3\n")))).toEqual([[[1, 2, 3]]]);
  });

  it("rejects rows with a different column count, naming the lines", () => {
    expectInputError(put(".csv", "a,b\n1,2\n3,4\n\n5,6,7\n"), /line 5 has 3 columns but line 1 has 2/);
    expectInputError(put(".csv", "1,2\n3,4,\n"), /line 2 has 3 columns but line 1 has 2/);
  });

  it("rejects a file with no data", () => {
    expectInputError(put(".csv", ""), /contains no data rows/);
    expectInputError(put(".csv", "\n# only a comment\n\n"), /contains no data rows/);
    expectInputError(put(".csv", "a,b\n"), /contains no data rows/);
  });
});

describe("readSequences", () => {
  it("reports a missing file", () => {
    expectInputError(join(dir, "nope.csv"), /: no such file$/);
  });

  it("reports a directory", () => {
    const sub = join(dir, "sub.json");
    mkdirSync(sub);
    expectInputError(sub, /is a directory/);
  });

  it("rejects unknown extensions, listing the supported formats", () => {
    expectInputError(
      put(".txt", "1,2"),
      /unsupported data format "\.txt"; supported data formats are \.npy, \.json or \.csv/,
    );
    expectInputError(put("", "1,2"), /has no extension .* \.npy, \.json or \.csv/);
    expectInputError(put(".npz", "PK"), /\.npz archives are not supported/);
  });

  it("checks the sequence length of a model whose head flattens T steps, naming the data file and sequence", () => {
    expect(dataOptionsFor({ inputSize: 2, head: { reads: "flatten", steps: 3 } })).toEqual({ features: 2, steps: 3 });
    expect(dataOptionsFor({ inputSize: 2, head: { reads: "last" } })).toEqual({ features: 2 });
    expect(dataOptionsFor({ inputSize: 2 })).toEqual({ features: 2 });
    const ok = put(".csv", "1,2\n3,4\n5,6\n\n7,8\n9,10\n11,12\n");
    expect(readSequences(ok, { features: 2, steps: 3 }).sequences).toHaveLength(2);
    const bad = put(".csv", "1,2\n3,4\n5,6\n\n7,8\n");
    expectInputError(bad, /: sequence 1 has 1 step, but the model's head flattens exactly 3 \(every sequence must have 3\)$/, { features: 2, steps: 3 });
  });

  it("checks the feature count against the model", () => {
    expect(readSequences(put(".csv", "1,2,3"), { features: 3 }).features).toBe(3);
    expectInputError(put(".csv", "1,2,3"), /has 3 features per step but the model expects 4$/, { features: 4 });
    expectInputError(put(".json", "[[1, 2]]"), /has 2 features per step but the model expects 1$/, { features: 1 });
    expectInputError(put(".npy", NUMPY_F4_1x3x2), /has 2 features per step but the model expects 5$/, { features: 5 });
  });

  it("sanitises control characters from the data into one line", () => {
    const msg = expectInputError(put(".csv", "1,2\n3,a\u0007b\n"), /not a number/);
    expect(msg).not.toMatch(/[\u0000-\u001f]/);
  });
});
