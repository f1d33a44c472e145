/**
 * The test harness around a generated model: a `main()` that feeds compiled-in int16 sequences through the
 * generated API and prints the outputs as hex records, and the parser that reads them back. The same harness
 * runs on the host and, with the board's startup code, in QEMU (output through semihosting).
 *
 * Output protocol (text, one record per line group):
 *   Y <seq> <offset> <count>   then <count> 16-bit two's-complement hex values (16 per line)
 *   E <seq> <code>             the run function returned an error code
 *   END                        the harness finished
 */
import type { QuantizedModel } from "../../compiler/quantize/qmodel.js";
import { arrayDecl, CWriter } from "./cgen.js";
import { canStream } from "./emit.js";

export interface HarnessSequence {
  readonly xq: Int16Array;
  readonly steps: number;
}

/**
 * - `run`: reset, then `<name>_run` (streaming models: in chunks of at most `chunk` steps, which must give the
 *   same result because `_run` continues from the state);
 * - `step`: reset, then `<name>_step` frame by frame (streaming models only);
 * - `interleave`: two state instances advance two sequences frame by frame, alternating (streaming), or
 *   alternate whole `_run` calls (non-streaming); each must give what it gives alone.
 */
export type HarnessMode = "run" | "step" | "interleave";

export interface HarnessOptions {
  readonly name: string;
  /** The modes to run, one after the other; outputs of mode m for sequence q are record number m·NSEQ + q. */
  readonly modes: readonly HarnessMode[];
  /** Streaming `run` mode: the largest number of steps per `_run` call (bounds the output buffer). */
  readonly chunk?: number;
}

/** Number of int16 outputs of one sequence (as `IntSequenceRun.output`). */
export function outputLength(qm: QuantizedModel, steps: number): number {
  const every = (qm.head?.reads ?? "every") === "every";
  return every ? steps * qm.outputSize : qm.outputSize;
}

export function harnessSource(qm: QuantizedModel, seqs: readonly HarnessSequence[], opts: HarnessOptions): string {
  const { name: p, modes } = opts;
  const P = p.toUpperCase();
  const every = (qm.head?.reads ?? "every") === "every";
  const streaming = canStream(qm);
  if (modes.includes("step") && !streaming) throw new Error("internal: step mode needs a streaming model");
  const I = qm.input.size;
  const O = qm.outputSize;
  const chunk = streaming && every ? Math.max(1, opts.chunk ?? 64) : Number.MAX_SAFE_INTEGER;
  const maxSteps = Math.max(1, ...seqs.map((s) => s.steps));
  const ysLen = every ? Math.min(chunk, maxSteps) * O : O;

  const w = new CWriter();
  w.comment([`lstm-gen test harness for '${p}' (${modes.join(", ")}; ${seqs.length} sequences).`]);
  w.line("#include <stddef.h>");
  w.line("#include <stdint.h>");
  w.line(`#include "${p}.h"`);
  w.line();
  w.line("void lstmgen_write(const char *s, size_t n);");
  w.line("void lstmgen_exit(int code);");
  w.line("int main(void);");
  w.line();
  seqs.forEach((s, k) => {
    if (s.xq.length !== s.steps * I) throw new Error(`internal: sequence ${k} has ${s.xq.length} values, expected ${s.steps * I}`);
    arrayDecl(w, "static const", "int16_t", `seq${k}`, s.xq);
  });
  w.line("static const int16_t *const seq_x[] = {");
  for (let k = 0; k < seqs.length; k++) w.line(`    seq${k},`);
  if (seqs.length === 0) w.line("    0,");
  w.line("};");
  w.line("static const size_t seq_steps[] = {");
  for (const s of seqs) w.line(`    ${s.steps},`);
  if (seqs.length === 0) w.line("    0,");
  w.line("};");
  w.line(`#define NSEQ ${seqs.length}`);
  w.line();
  const instances = modes.includes("interleave") ? 2 : 1;
  w.line(`static ${p}_state_t states[${instances}];`);
  w.line(`static ${p}_output_t ys[${instances}][${ysLen}];`);
  w.line("static char buf[256];");
  w.line("static size_t used;");
  w.line("static size_t base; /* record number of sequence 0 in the current mode */");
  w.line();
  w.fn("static void flush(void)", () => {
    w.line("lstmgen_write(buf, used);");
    w.line("used = 0;");
  });
  w.line();
  w.fn("static void put_char(char c)", () => {
    w.block("if (used == sizeof buf)", () => w.line("flush();"));
    w.line("buf[used++] = c;");
  });
  w.line();
  w.fn("static void put_uint(size_t v)", () => {
    w.line("char d[24];");
    w.line("int n = 0;");
    w.block("do", () => {
      w.line("d[n++] = (char)('0' + (int)(v % 10));");
      w.line("v /= 10;");
    }, "} while (v != 0);");
    w.block("while (n > 0)", () => w.line("put_char(d[--n]);"));
  });
  w.line();
  w.fn("static void put_int(int v)", () => {
    w.block("if (v < 0)", () => {
      w.line("put_char('-');");
      w.line("put_uint((size_t)(-(long)v));");
    });
    w.block("else", () => w.line("put_uint((size_t)v);"));
  });
  w.line();
  w.comment(["Record Y <seq> <offset> <count> and the values in hex."]);
  w.fn("static void put_values(size_t seq, size_t offset, const int16_t *v, size_t n)", () => {
    w.line('static const char hex[] = "0123456789abcdef";');
    w.line("size_t k;");
    w.line("put_char('Y');");
    w.line("put_char(' ');");
    w.line("put_uint(base + seq);");
    w.line("put_char(' ');");
    w.line("put_uint(offset);");
    w.line("put_char(' ');");
    w.line("put_uint(n);");
    w.line("put_char('\\n');");
    w.block("for (k = 0; k < n; ++k)", () => {
      w.line("const unsigned u = (unsigned)(uint16_t)v[k];");
      w.line("put_char(hex[(u >> 12) & 15u]);");
      w.line("put_char(hex[(u >> 8) & 15u]);");
      w.line("put_char(hex[(u >> 4) & 15u]);");
      w.line("put_char(hex[u & 15u]);");
      w.line("put_char((k % 16 == 15 || k + 1 == n) ? '\\n' : ' ');");
    });
  });
  w.line();
  w.fn("static void put_error(size_t seq, int code)", () => {
    w.line("put_char('E');");
    w.line("put_char(' ');");
    w.line("put_uint(base + seq);");
    w.line("put_char(' ');");
    w.line("put_int(code);");
    w.line("put_char('\\n');");
  });
  w.line();
  const I_ = `${P}_INPUT_SIZE`;
  const O_ = `${P}_OUTPUT_SIZE`;
  // One sequence through _run (chunked for streaming every-step models).
  w.fn("static void run_sequence(size_t q, int inst)", () => {
    w.line(`${p}_state_t *s = &states[inst];`);
    w.line("int rc;");
    if (streaming && every) {
      w.line("size_t t = 0;");
      w.line(`${p}_reset(s);`);
      w.block("while (t < seq_steps[q])", () => {
        w.line(`size_t n = seq_steps[q] - t;`);
        w.block(`if (n > ${Math.min(chunk, maxSteps)})`, () => w.line(`n = ${Math.min(chunk, maxSteps)};`));
        w.line(`rc = ${p}_run(s, &seq_x[q][t * ${I_}], n, ys[inst]);`);
        w.block("if (rc != 0)", () => {
          w.line("put_error(q, rc);");
          w.line("return;");
        });
        w.line(`put_values(q, t * ${O_}, ys[inst], n * ${O_});`);
        w.line("t += n;");
      });
    } else {
      if (streaming) w.line(`${p}_reset(s);`);
      w.line(`rc = ${p}_run(s, seq_x[q], seq_steps[q], ys[inst]);`);
      w.block("if (rc != 0)", () => {
        w.line("put_error(q, rc);");
        w.line("return;");
      });
      w.line(`put_values(q, 0, ys[inst], ${every ? `seq_steps[q] * ${O_}` : O_});`);
    }
  });
  w.line();
  if (streaming) {
    w.comment(["One frame of sequence q on instance inst; prints the output when the sequence needs it."]);
    w.fn("static void step_frame(size_t q, int inst, size_t t)", () => {
      w.line(`${p}_state_t *s = &states[inst];`);
      if (every) {
        w.line(`${p}_step(s, &seq_x[q][t * ${I_}], ys[inst]);`);
        w.line(`put_values(q, t * ${O_}, ys[inst], ${O_});`);
      } else {
        w.block("if (t + 1 == seq_steps[q])", () => {
          w.line(`${p}_step(s, &seq_x[q][t * ${I_}], ys[inst]);`);
          w.line(`put_values(q, 0, ys[inst], ${O_});`);
        });
        w.block("else", () => w.line(`${p}_step(s, &seq_x[q][t * ${I_}], NULL);`));
      }
    });
    w.line();
  }
  w.fn("int main(void)", () => {
    w.line("size_t q;");
    w.line("size_t t = 0;");
    modes.forEach((mode, m) => {
      w.line(`base = ${m} * NSEQ; /* mode ${mode} */`);
      if (mode === "run") {
        w.block("for (q = 0; q < NSEQ; ++q)", () => w.line("run_sequence(q, 0);"));
      } else if (mode === "step") {
        w.block("for (q = 0; q < NSEQ; ++q)", () => {
          w.line(`${p}_reset(&states[0]);`);
          w.block("for (t = 0; t < seq_steps[q]; ++t)", () => w.line("step_frame(q, 0, t);"));
        });
      } else if (streaming) {
        w.block("for (q = 0; q < NSEQ; q += 2)", () => {
          w.line("const size_t q2 = q + 1 < NSEQ ? q + 1 : q;");
          w.line("const size_t n = seq_steps[q] > seq_steps[q2] ? seq_steps[q] : seq_steps[q2];");
          w.line(`${p}_reset(&states[0]);`);
          w.line(`${p}_reset(&states[1]);`);
          w.block("for (t = 0; t < n; ++t)", () => {
            w.block("if (t < seq_steps[q])", () => w.line("step_frame(q, 0, t);"));
            w.block("if (q2 != q && t < seq_steps[q2])", () => w.line("step_frame(q2, 1, t);"));
          });
        });
      } else {
        w.block("for (q = 0; q < NSEQ; ++q)", () => w.line("run_sequence(q, (int)(q % 2));"));
      }
    });
    w.line("(void)t;");
    w.line("put_char('E');");
    w.line("put_char('N');");
    w.line("put_char('D');");
    w.line("put_char('\\n');");
    w.line("flush();");
    w.line("return 0;");
  });
  return w.toString();
}

/** Parse the harness output into one Int16Array per sequence; throws with the harness text on any gap. */
export function parseHarnessOutput(text: string, lengths: readonly number[], what: string): Int16Array[] {
  const outs = lengths.map((n) => new Int16Array(n));
  const filled = lengths.map((n) => new Uint8Array(n));
  const tokens = text.split(/\s+/).filter((t) => t !== "");
  let k = 0;
  let ended = false;
  const fail = (msg: string): never => {
    throw new Error(`internal: ${what}: ${msg}; output begins: ${text.slice(0, 400)}`);
  };
  while (k < tokens.length) {
    const t = tokens[k++]!;
    if (t === "END") {
      ended = true;
      break;
    }
    if (t === "E") {
      const seq = Number(tokens[k++]);
      const code = Number(tokens[k++]);
      fail(`sequence ${seq}: the run function returned ${code}`);
    }
    if (t !== "Y") fail(`unexpected token '${t}'`);
    const seq = Number(tokens[k++]);
    const off = Number(tokens[k++]);
    const n = Number(tokens[k++]);
    const out = outs[seq];
    if (!out || !(off >= 0 && n >= 0 && off + n <= out.length)) fail(`bad record Y ${seq} ${off} ${n}`);
    for (let j = 0; j < n; j++) {
      const h = tokens[k++];
      if (h === undefined || !/^[0-9a-f]{4}$/.test(h)) fail(`bad value '${h}'`);
      const u = parseInt(h!, 16);
      out![off + j] = u >= 0x8000 ? u - 0x10000 : u;
      filled[seq]![off + j] = 1;
    }
  }
  if (!ended) fail("no END marker (the program stopped early)");
  filled.forEach((f, s) => {
    if (f.some((v) => v === 0)) fail(`sequence ${s}: some outputs were never written`);
  });
  return outs;
}
