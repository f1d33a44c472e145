/**
 * The fuzz harness: generate a case from a seed (a valid seed file plus one to three mutations), run the CLI
 * on it in-process, and judge the outcome.
 *
 * The oracle: every case ends with exit 0 (the mutation happened to be harmless) or exit 2 with exactly one
 * line on stderr that names the mutated file. Anything else fails: exit 3 (internal error) or another code, an
 * exception escaping `main`, a message of several lines, a stack trace, or a case slower than the hang limit.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, type Io } from "../../compiler/cli/main.js";
import { oneLine } from "../../compiler/errors.js";
import { loadCorpus, type Corpus, type DataSeed, type ModelSeed } from "./corpus.js";
import { mutateBytes, type Mutated } from "./mutate-bytes.js";
import { mutateCsv, mutateJson, mutateNpy } from "./mutate-data.js";
import { ONNX_MUTATIONS, decode, deepNesting, encode } from "./mutate-onnx.js";
import { Rng, caseSeed } from "./rng.js";
import { startWatchdog, type Watchdog } from "./watchdog.js";

/**
 * What a case runs: `inspect` a mutated model; `run` a mutated model with the float reference or the integer golden
 * model (calibrated on a valid input); `run` a valid model on mutated data, or calibrate it with mutated data.
 */
export type Target = "inspect" | "run-model" | "run-model-fixed" | "run-data" | "calibrate";

export interface FuzzCase {
  readonly seed: number;
  readonly target: Target;
  /** The seed file that was mutated. */
  readonly base: string;
  /** Mutation class of each step, for statistics ("onnx:cycle", "bytes", "npy", ...). */
  readonly classes: readonly string[];
  /** What each step did. */
  readonly steps: readonly string[];
  /** The mutated file's name (within the case directory) and contents. */
  readonly fileName: string;
  readonly bytes: Uint8Array;
  /** The valid model the data cases use, or the seed model of a model case (for its valid input). */
  readonly model: ModelSeed;
}

export type Verdict = "ok" | "input-error" | "failure";

export interface CaseResult {
  readonly verdict: Verdict;
  /** Why a failure is one. */
  readonly reason?: string;
  readonly code: number | undefined;
  readonly stderr: string;
  readonly ms: number;
  readonly argv: readonly string[];
}

const TARGETS: readonly (readonly [number, Target])[] = [
  [40, "inspect"],
  [10, "run-model"],
  [5, "run-model-fixed"],
  [30, "run-data"],
  [15, "calibrate"],
];

/** File names a user might have: spaces, non-ASCII, and (on Linux) a newline. */
function fileName(rng: Rng, seed: number, ext: string): string {
  if (!rng.chance(0.05)) return `case-${seed}${ext}`;
  return rng.pick([`case ${seed} é🙂${ext}`, `case-${seed}\nsecond-line${ext}`, `case-${seed}-'"$(x)${ext}`, `.case-${seed}${ext}`]);
}

function mutateModel(rng: Rng, seed: ModelSeed, corpus: Corpus): { bytes: Uint8Array; classes: string[]; steps: string[] } {
  if (rng.chance(0.02)) {
    const depth = rng.pick([100, 2000, 20_000, 100_000]);
    return { bytes: deepNesting(depth), classes: ["onnx:deepNesting"], steps: [`subgraph attributes nested ${depth} deep`] };
  }
  let bytes = seed.bytes;
  const classes: string[] = [];
  const steps: string[] = [];
  const n = rng.weighted([
    [6, 1],
    [3, 2],
    [1, 3],
  ]);
  for (let k = 0; k < n; k++) {
    // A plain copy: Node Buffers (readFileSync, protobufjs) slice as views, and a mutation must never write
    // through one into the corpus.
    bytes = new Uint8Array(bytes);
    if (rng.chance(0.75)) {
      let m;
      try {
        m = decode(bytes);
      } catch {
        m = undefined;
      }
      if (m) {
        const names = Object.keys(ONNX_MUTATIONS);
        const name = rng.pick(names);
        steps.push(ONNX_MUTATIONS[name]!(rng, m));
        classes.push(`onnx:${name}`);
        bytes = encode(m);
        continue;
      }
    }
    const other = rng.pick(corpus.models).bytes;
    const r = mutateBytes(rng, bytes, other);
    bytes = r.bytes;
    steps.push(r.what);
    classes.push(`bytes:${r.what.split(" ")[0]}`);
  }
  return { bytes, classes, steps };
}

function mutateData(rng: Rng, seed: DataSeed): { bytes: Uint8Array; classes: string[]; steps: string[] } {
  let bytes = seed.bytes;
  const classes: string[] = [];
  const steps: string[] = [];
  const n = rng.weighted([
    [7, 1],
    [3, 2],
  ]);
  for (let k = 0; k < n; k++) {
    bytes = new Uint8Array(bytes); // a plain copy (see mutateModel)
    let r: Mutated;
    if (rng.chance(0.7)) {
      r = seed.ext === ".npy" ? mutateNpy(rng, bytes) : seed.ext === ".json" ? mutateJson(rng, bytes) : mutateCsv(rng, bytes);
      classes.push(seed.ext.slice(1));
    } else {
      r = mutateBytes(rng, bytes);
      classes.push(`bytes:${r.what.split(" ")[0]}`);
    }
    bytes = r.bytes;
    steps.push(r.what);
  }
  return { bytes, classes, steps };
}

/** The case for one seed (deterministic: the same seed gives the same case). */
export function generateCase(seed: number, corpus: Corpus = loadCorpus()): FuzzCase {
  const rng = new Rng(seed);
  const target = rng.weighted(TARGETS);
  if (target === "inspect" || target === "run-model" || target === "run-model-fixed") {
    const model = rng.pick(corpus.models);
    const m = mutateModel(rng, model, corpus);
    return { seed, target, base: model.name, ...m, fileName: fileName(rng, seed, ".onnx"), model };
  }
  const t = rng.pick(corpus.targets);
  const data = rng.pick(t.data);
  const m = mutateData(rng, data);
  return { seed, target, base: data.name, ...m, fileName: fileName(rng, seed, data.ext), model: t.model };
}

export function describeCase(c: FuzzCase): string {
  return `seed ${c.seed} (${c.target} of ${c.base}): ${c.steps.join("; ")}`;
}

const STACK = /\n\s+at |\bat .*:\d+:\d+/;

/** Judge one CLI outcome against the oracle. */
export function judge(code: number | undefined, stderr: string, file: string): { verdict: Verdict; reason?: string } {
  if (STACK.test(stderr)) return { verdict: "failure", reason: "stack trace on stderr" };
  if (code === 0) return { verdict: "ok" };
  if (code === 2) {
    const lines = stderr.split("\n");
    if (!stderr.endsWith("\n") || lines.length !== 2) return { verdict: "failure", reason: `exit 2 with ${lines.length - 1} lines on stderr` };
    if (!stderr.startsWith("lstm-gen: ")) return { verdict: "failure", reason: "exit 2 without the 'lstm-gen: ' prefix" };
    if (!stderr.includes(oneLine(file))) return { verdict: "failure", reason: "exit 2 but the message does not name the file" };
    return { verdict: "input-error" };
  }
  return { verdict: "failure", reason: code === undefined ? "main threw" : `exit ${code}` };
}

/** Files every case of a run shares: the valid models and inputs. */
export class Workspace {
  readonly dir: string;
  private readonly written = new Map<string, string>();

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "lstm-gen-fuzz-"));
    mkdirSync(join(this.dir, "cases"), { recursive: true });
  }

  shared(name: string, bytes: Uint8Array): string {
    let path = this.written.get(name);
    if (!path) {
      path = join(this.dir, name);
      writeFileSync(path, bytes);
      this.written.set(name, path);
    }
    return path;
  }

  argv(c: FuzzCase, file: string): string[] {
    const model = this.shared(`${c.model.name}.onnx`, c.model.bytes);
    const input = this.shared(`${c.model.name}-input.npy`, c.model.input);
    switch (c.target) {
      case "inspect":
        return ["inspect", file, ...(c.seed % 4 === 0 ? ["--json"] : [])];
      case "run-model":
        return ["run", file, "--input", input, "--json"];
      case "run-model-fixed":
        return ["run", file, "--input", input, "--engine", "fixed", "--calibrate", input, "--json"];
      case "run-data":
        return ["run", model, "--input", file, "--json"];
      case "calibrate":
        return ["run", model, "--input", input, "--engine", "fixed", "--calibrate", file, "--json"];
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RunOptions {
  /** A case slower than this is a hang (ms). */
  readonly hangMs?: number;
  readonly watchdog?: Watchdog;
  /** Keep the mutated file (for reproducing). */
  readonly keep?: boolean;
}

/** Run one case in-process and judge it. */
export async function runCase(c: FuzzCase, ws: Workspace, opts: RunOptions = {}): Promise<CaseResult> {
  const hangMs = opts.hangMs ?? 5000;
  const file = join(ws.dir, "cases", c.fileName);
  writeFileSync(file, c.bytes);
  const argv = ws.argv(c, file);
  let stderr = "";
  const io: Io = { out: () => undefined, err: (t) => void (stderr += t) };
  // Anything printed past `io` (console.error of a stack, say) counts as stderr.
  const saved = { error: console.error, warn: console.warn, log: console.log };
  const capture = (...args: unknown[]) => void (stderr += `${args.map(String).join(" ")}\n`);
  console.error = capture;
  console.warn = capture;
  console.log = capture;
  let code: number | undefined;
  let thrown: unknown;
  opts.watchdog?.begin(`${describeCase(c)}\n  argv: ${JSON.stringify(argv)}`);
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const hang = new Promise<"hang">((res) => (timer = setTimeout(() => res("hang"), hangMs * 4)));
    const r = await Promise.race([main(argv, io), hang]);
    code = r === "hang" ? undefined : r;
    if (r === "hang") thrown = new Error(`no result after ${hangMs * 4} ms (a pending promise)`);
  } catch (e) {
    thrown = e;
  } finally {
    clearTimeout(timer);
    opts.watchdog?.end();
    Object.assign(console, saved);
    if (!opts.keep) rmSync(file, { force: true });
  }
  const ms = performance.now() - start;
  if (thrown !== undefined) {
    const why = thrown instanceof Error ? thrown.message : String(thrown);
    return { verdict: "failure", reason: `main threw: ${oneLine(why).slice(0, 300)}`, code, stderr, ms, argv };
  }
  const j = judge(code, stderr, file);
  if (j.verdict !== "failure" && ms > hangMs) {
    return { verdict: "failure", reason: `took ${Math.round(ms)} ms (limit ${hangMs} ms): a hang`, code, stderr, ms, argv };
  }
  return { ...j, code, stderr, ms, argv };
}

export interface Failure {
  readonly c: FuzzCase;
  readonly r: CaseResult;
}

export interface Summary {
  readonly cases: number;
  readonly ok: number;
  readonly inputErrors: number;
  readonly failures: readonly Failure[];
  readonly byTarget: Record<string, [number, number, number]>;
  readonly byClass: Record<string, [number, number, number]>;
  /** Distinct error messages (file name and numbers blanked), a rough measure of how many checks were reached. */
  readonly distinctErrors: number;
  readonly slowest: { readonly seed: number; readonly ms: number; readonly what: string };
  readonly seconds: number;
  /** The case directory, when kept. */
  readonly kept?: string;
}

export interface FuzzOptions extends RunOptions {
  readonly cases: number;
  readonly runSeed: number;
  /** Run only these case seeds (reproducing). */
  readonly only?: readonly number[];
  /** Kill the process if one case runs longer than this (ms); 0 disables the watchdog. */
  readonly killMs?: number;
  readonly onProgress?: (done: number, s: Summary) => void;
  /** Called after every case (FUZZ_VERBOSE). */
  readonly onCase?: (c: FuzzCase, r: CaseResult) => void;
}

/** Run a batch of cases; never throws for a failing case (failures are in the summary). */
export async function fuzz(opts: FuzzOptions): Promise<Summary> {
  const corpus = loadCorpus();
  const ws = new Workspace();
  const killMs = opts.killMs ?? 60_000;
  const watchdog = killMs > 0 ? startWatchdog(killMs, join(tmpdir(), "lstm-gen-fuzz-hang.txt")) : undefined;
  const t0 = performance.now();
  const counts = { ok: 0, input: 0 };
  const failures: Failure[] = [];
  const byTarget: Record<string, [number, number, number]> = {};
  const byClass: Record<string, [number, number, number]> = {};
  const errors = new Set<string>();
  let slowest = { seed: 0, ms: 0, what: "" };
  const seeds = opts.only ?? Array.from({ length: opts.cases }, (_, k) => caseSeed(opts.runSeed, k));
  const summary = (done: number): Summary => ({
    cases: done,
    ok: counts.ok,
    inputErrors: counts.input,
    failures,
    byTarget,
    byClass,
    distinctErrors: errors.size,
    slowest,
    seconds: (performance.now() - t0) / 1000,
    ...(opts.keep ? { kept: ws.dir } : {}),
  });
  try {
    for (let k = 0; k < seeds.length; k++) {
      let c: FuzzCase;
      try {
        c = generateCase(seeds[k]!, corpus);
      } catch (e) {
        // A bug in the fuzzer itself: reported with its seed, and the run goes on.
        const why = `harness error while generating the case: ${e instanceof Error ? e.message : String(e)}`;
        const stub: FuzzCase = { seed: seeds[k]!, target: "inspect", base: "?", classes: ["harness"], steps: [], fileName: "", bytes: new Uint8Array(), model: corpus.models[0]! };
        failures.push({ c: stub, r: { verdict: "failure", reason: why, code: undefined, stderr: "", ms: 0, argv: [] } });
        continue;
      }
      const r = await runCase(c, ws, { ...opts, ...(watchdog ? { watchdog } : {}) });
      const slot = r.verdict === "ok" ? 0 : r.verdict === "input-error" ? 1 : 2;
      if (r.verdict === "ok") counts.ok++;
      else if (r.verdict === "input-error") {
        counts.input++;
        errors.add(r.stderr.replace(join(ws.dir, "cases", c.fileName), "F").replace(/\d+(\.\d+)?/g, "N").replace(/'[^']*'/g, "'…'"));
      } else failures.push({ c, r });
      (byTarget[c.target] ??= [0, 0, 0])[slot]++;
      for (const cl of new Set(c.classes)) (byClass[cl] ??= [0, 0, 0])[slot]++;
      if (r.ms > slowest.ms) slowest = { seed: c.seed, ms: r.ms, what: describeCase(c) };
      opts.onCase?.(c, r);
      opts.onProgress?.(k + 1, summary(k + 1));
    }
  } finally {
    await watchdog?.stop();
    if (!opts.keep) ws.remove();
  }
  return summary(seeds.length);
}

/** The printed summary: counts, outcome per target and mutation class, and every failure with its seed. */
export function formatSummary(s: Summary, runSeed: number): string {
  const lines: string[] = [];
  const pct = (n: number) => `${((100 * n) / Math.max(1, s.cases)).toFixed(1)}%`;
  lines.push(`lstm-gen fuzz: ${s.cases} cases in ${s.seconds.toFixed(1)} s (run seed ${runSeed})`);
  lines.push(`  ok (harmless mutation) ${s.ok} (${pct(s.ok)})`);
  lines.push(`  exit 2, one-line error ${s.inputErrors} (${pct(s.inputErrors)}), ${s.distinctErrors} distinct messages`);
  lines.push(`  failures               ${s.failures.length}`);
  lines.push(`  slowest case           ${Math.round(s.slowest.ms)} ms: ${s.slowest.what.slice(0, 160)}`);
  const table = (title: string, rows: Record<string, [number, number, number]>) => {
    lines.push(`  ${title}  (ok / exit 2 / failures)`);
    for (const [k, [a, b, c]] of Object.entries(rows).sort((x, y) => x[0].localeCompare(y[0]))) {
      lines.push(`    ${k.padEnd(24)} ${String(a).padStart(6)} ${String(b).padStart(6)} ${String(c).padStart(6)}`);
    }
  };
  table("by target", s.byTarget);
  table("by mutation class", s.byClass);
  for (const f of s.failures.slice(0, 50)) {
    lines.push(`FAIL ${f.r.reason}`);
    lines.push(`  ${describeCase(f.c).slice(0, 400)}`);
    lines.push(`  argv ${JSON.stringify(f.r.argv)}`);
    lines.push(`  stderr ${JSON.stringify(f.r.stderr.slice(0, 400))}`);
    lines.push(`  reproduce: FUZZ_ONLY=${f.c.seed} npx vitest run --config test/fuzz/vitest.fuzz.config.ts`);
  }
  if (s.failures.length > 50) lines.push(`… and ${s.failures.length - 50} more failures`);
  if (s.kept) lines.push(`case files kept in ${s.kept}`);
  return lines.join("\n");
}
