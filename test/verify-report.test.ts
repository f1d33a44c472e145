/** The renderings of a verify report: text table, JSON and the self-contained HTML page. */
import { describe, expect, it } from "vitest";
import type { DenseActivation, HeadReads, LstmCell, Model } from "../compiler/ir/model.js";
import { matrix } from "../compiler/ir/validate.js";
import { runSequence, type SequenceRun } from "../compiler/reference/float.js";
import { cellRangeOf, verifyRuns, type VerifyReport } from "../compiler/verify/compare.js";
import { createProgress } from "../compiler/progress.js";
import { escapeHtml, formatText, renderHtml, toJson } from "../compiler/verify/report.js";
import type { Tolerance } from "../compiler/verify/tolerance.js";

const EVIL = `<script>alert("x")</script>&'`;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One LSTM layer (named `layerName`) and a dense head. */
function buildModel(layerName: string, head: { reads: HeadReads; outputs: number; activation: DenseActivation }, bidirectional = false): Model {
  const rnd = prng(21);
  const vec = (n: number, s: number) => Float64Array.from({ length: n }, () => (rnd() * 2 - 1) * s);
  const I = 2;
  const H = 4;
  const cell = (): LstmCell => {
    const gate = () => ({ W: matrix(H, I, vec(H * I, 0.8)), R: matrix(H, H, vec(H * H, 0.5)), bias: vec(H, 0.3) });
    return {
      gates: { input: gate(), forget: gate(), cell: gate(), output: gate() },
      activations: { gate: { kind: "sigmoid" }, cell: { kind: "tanh" }, hidden: { kind: "tanh" } },
    };
  };
  const dirs = bidirectional ? 2 : 1;
  return {
    inputName: "x",
    inputSize: I,
    layers: [
      {
        kind: "lstm",
        name: layerName,
        inputSize: I,
        hiddenSize: H,
        direction: bidirectional ? "bidirectional" : "forward",
        cells: Array.from({ length: dirs }, cell),
        inputForget: false,
      },
    ],
    head: { reads: head.reads, layers: [{ name: "fc", W: matrix(head.outputs, H * dirs, vec(head.outputs * H * dirs, 1)), bias: vec(head.outputs, 0.1), activation: head.activation }] },
    outputs: [{ name: EVIL, source: { kind: "head" }, axes: ["batch", "time", "unit"] }],
    source: { format: "test", file: "m.onnx", conventions: [] },
  };
}

function runs(model: Model, n: number, T: number): SequenceRun[] {
  const rnd = prng(5);
  return Array.from({ length: n }, () => {
    const x = Float64Array.from({ length: T * model.inputSize }, () => rnd() * 2 - 1);
    return runSequence(model, x, T, { trace: true });
  });
}

function perturbed(float: readonly SequenceRun[], eps: number): SequenceRun[] {
  const rnd = prng(77);
  const bump = (a: Float64Array) => a.map((v) => v + (rnd() * 2 - 1) * eps);
  return float.map((r) => ({
    steps: r.steps,
    layers: r.layers.map((l) => ({
      output: bump(l.output),
      finalH: l.finalH,
      finalC: l.finalC,
      trace: l.trace!.map((t) => ({ i: bump(t.i), f: bump(t.f), g: bump(t.g), o: bump(t.o), c: bump(t.c), h: bump(t.h) })),
    })),
    ...(r.head ? { head: bump(r.head) } : {}),
  }));
}

function report(tolerance: Tolerance, opts: { name?: string; T?: number; reads?: HeadReads; outputs?: number; bidirectional?: boolean } = {}): VerifyReport {
  const model = buildModel(opts.name ?? "lstm", { reads: opts.reads ?? "every", outputs: opts.outputs ?? 1, activation: "linear" }, opts.bidirectional);
  const float = runs(model, 3, opts.T ?? 40);
  return verifyRuns(model, float, perturbed(float, 1e-3), { tolerance, cellRange: cellRangeOf(model, float) });
}

const OK: Tolerance = { gates: 0.01, cell: 0.01, hidden: 0.01, output: 0.01 };
const TIGHT: Tolerance = { gates: 1e-9, cell: 0.01, hidden: 0.01, output: 0.01 };

/** Check that tags nest properly (void elements and `/>` excepted) and return the tag names seen. */
function checkNesting(html: string): Set<string> {
  const stack: string[] = [];
  const seen = new Set<string>();
  const voids = new Set(["meta", "br", "hr", "img", "input", "link"]);
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*)>/g)) {
    const [, close, name, rest] = m;
    const tag = name!.toLowerCase();
    seen.add(tag);
    if (close) {
      const top = stack.pop();
      if (top !== tag) throw new Error(`</${tag}> closes <${top}>`);
    } else if (!voids.has(tag) && !rest!.endsWith("/")) {
      stack.push(tag);
    }
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(", ")}`);
  return seen;
}

describe("formatText", () => {
  it("prints an aligned table with one row per layer/direction/quantity, PASS/FAIL and the worst offender last", () => {
    const r = report(TIGHT, { bidirectional: true });
    const text = formatText(r);
    const lines = text.split("\n");
    expect(lines[0]).toBe("lstm-gen verify: 3 sequences, 120 steps (longest 40)");
    expect(lines[1]).toMatch(/^tolerance: gates=1e-9 \(absolute\), cell=0\.01 × max\|c\| of the layer, hidden=0\.01 \(absolute\), output=0\.01 × output range \S+ \(max-min\)$/);
    const header = lines.findIndex((l) => l.startsWith("layer"));
    const rows = lines.slice(header + 2, header + 2 + r.results.length);
    expect(rows).toHaveLength(13);
    // every row has its result in the same column as the header's "result"
    const col = lines[header]!.indexOf("result");
    for (const row of rows) expect(row.slice(col)).toMatch(/^(PASS|FAIL)$/);
    expect(rows.filter((l) => l.includes("reverse"))).toHaveLength(6);
    expect(rows.filter((l) => l.endsWith("FAIL"))).toHaveLength(8);
    expect(rows[0]).toMatch(/^0 'lstm'\s+forward\s+gate 'input' \(i\)\s/);
    expect(lines.at(-2)).toBe(`worst: ${r.worst}`);
    expect(r.worst).toMatch(/gate '(input|forget|cell|output)'/);
    expect(lines.at(-1)).toBe("result: FAIL (8 checks failed)");
  });

  it("ends with PASS when everything passes and keeps model names on one line", () => {
    const r = report(OK, { name: "evil\nname" });
    expect(r.pass).toBe(true);
    const text = formatText(r);
    expect(text.split("\n").at(-1)).toBe("result: PASS");
    expect(text).toContain("0 'evil name'");
  });

  it("reports argmax agreement for a classifier", () => {
    const r = report(OK, { reads: "last", outputs: 3 });
    expect(formatText(r)).toContain("argmax agrees with the float model on all 3 output vectors (informational)");
  });
});

describe("toJson", () => {
  it("gives the full table with a boolean pass and JSON-safe numbers", () => {
    const r = report(TIGHT);
    const json = JSON.parse(JSON.stringify(toJson(r))) as Record<string, unknown> & { results: Record<string, unknown>[] };
    expect(json.pass).toBe(false);
    expect(json.worst).toBe(r.worst);
    expect(json.results).toHaveLength(7);
    expect(json.results[0]).toMatchObject({ layer: 0, direction: "forward", quantity: "i", pass: false, toleranceKey: "gates", tolerance: 1e-9 });
    expect(json.results[0]!.series).toBeUndefined();
    expect((json.tolerance as { spec: string }).spec).toBe("gates=1e-9,cell=0.01,hidden=0.01,output=0.01");
    expect(json.failures).toHaveLength(4);
  });

  it("writes infinite values as null and includes series on request", () => {
    const r = report({ ...OK, gates: 0 });
    const json = toJson(r, { series: true }) as { results: { ratio: number | null; series?: { x: number[]; y: number[] } }[] };
    expect(json.results[0]!.ratio).toBeNull();
    expect(json.results[0]!.series!.x).toHaveLength(40);
    expect(JSON.stringify(json)).not.toMatch(/Infinity|NaN/);
  });
});

describe("renderHtml", () => {
  it("is a self-contained page with one SVG plot per quantity and the tolerance as a dashed line", () => {
    const r = report(TIGHT, { bidirectional: true });
    const html = renderHtml(r, { model: "m.onnx", data: "in.npy", version: "0.1.0" });
    const tags = checkNesting(html);
    expect(tags.has("svg") && tags.has("polyline") && tags.has("table") && tags.has("style")).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(13);
    expect(html.match(/<polyline /g)).toHaveLength(13);
    expect(html.match(/stroke-dasharray/g)).toHaveLength(13);
    expect(html).toContain("input step");
    expect(html).toContain("max |error| (log)");
    expect(html).toMatch(/<h1>lstm-gen verify <span class="verdict fail">FAIL<\/span><\/h1>/);
    // self-contained: no external references of any kind, no scripts
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/\bhref\s*=/i);
    expect(html).not.toMatch(/url\(|@import|<link|<script/i);
  });

  it("escapes every model-derived string", () => {
    const r = report(TIGHT, { name: EVIL });
    const html = renderHtml(r, { model: `<img src=x onerror=alert(1)>.onnx`, data: `a"b'.npy`, title: "<b>t</b>" });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain("<b>t</b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
    expect(html).toContain("a&quot;b&#39;.npy");
    checkNesting(html);
  });

  it("draws linear axes on request and a point for a one-value series", () => {
    const r = report(OK, { reads: "last", outputs: 2, T: 12 });
    const one = { ...r, results: r.results.map((x) => (x.quantity === "output" ? { ...x, series: { ...x.series, x: [0], y: [x.series.y[0]!] } } : x)) };
    const html = renderHtml(one, { yScale: "linear" });
    expect(html).not.toContain("(log)");
    expect(html).toContain("<circle");
    expect(html).toContain(">sequence</text>");
    checkNesting(html);
  });

  it("bucket-reduces the plot of a long sequence to at most 500 points", () => {
    const r = report(OK, { T: 1500 });
    const html = renderHtml(r);
    for (const m of html.matchAll(/<polyline points="([^"]*)"/g)) expect(m[1]!.split(" ").length).toBeLessThanOrEqual(500);
  });

  it("escapeHtml escapes the five special characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});

describe("createProgress", () => {
  function sink(isTTY: boolean) {
    const s = { isTTY, text: "", write: (t: string) => void (s.text += t) };
    return s;
  }

  it("rewrites one line with \\r on a terminal, throttled, always drawing the last item, and clears it", () => {
    const out = sink(true);
    let t = 0;
    const p = createProgress("calibrating", 10, "sequences", { stream: out, now: () => t, intervalMs: 100 });
    expect(p.active).toBe(true);
    p.update(1);
    t = 50;
    p.update(2); // throttled
    t = 150;
    p.update(3);
    p.update(10); // the last one is always drawn
    p.done();
    p.done();
    expect(out.text).toBe(
      "\rcalibrating: 1/10 sequences (10%)\rcalibrating: 3/10 sequences (30%)\rcalibrating: 10/10 sequences (100%)" +
        `\r${" ".repeat(35)}\r`,
    );
  });

  it("writes nothing when disabled or when the stream is not a terminal", () => {
    for (const [tty, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const out = sink(tty);
      const p = createProgress("verifying", 3, "sequences", { stream: out, enabled });
      expect(p.active).toBe(false);
      p.update(1);
      p.update(3);
      p.done();
      expect(out.text).toBe("");
    }
  });
});
