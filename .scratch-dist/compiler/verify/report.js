/**
 * Renderings of a `VerifyReport`: an aligned text table for the terminal, a JSON form for `--json`, and a
 * self-contained HTML page (inline CSS and SVG, no scripts, no external resources) with one error-over-time plot
 * per quantity, because drift is easier to see than to read.
 */
import { oneLine } from "../errors.js";
import { describeArgmax, describeLocation, formatNumber, } from "./compare.js";
import { formatTolerance } from "./tolerance.js";
// ---------------------------------------------------------------------------------------------------------------
// Text
function pad(s, n) {
    return s.length >= n ? s : s + " ".repeat(n - s.length);
}
function padLeft(s, n) {
    return s.length >= n ? s : " ".repeat(n - s.length) + s;
}
/** A model-derived name, made printable on one line and kept short for a table cell. */
function shortName(s, max = 24) {
    const one = oneLine(s);
    return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
function layerCell(r) {
    if (r.layer === null)
        return "output";
    return r.layerName ? `${r.layer} '${shortName(r.layerName)}'` : String(r.layer);
}
function quantityCell(r) {
    return r.layer !== null ? r.label : shortName(r.name, 30);
}
function locationCell(at) {
    if (!at)
        return "-";
    return `${at.sequence}, ${at.step === null ? "-" : at.step}, ${at.unit}`;
}
function toleranceLine(t, report) {
    const o = report.outputRange;
    const basis = o.basis === "given" ? "given" : o.basis;
    return (`tolerance: gates=${formatNumber(t.gates)} (absolute), cell=${formatNumber(t.cell)} × max|c| of the layer, ` +
        `hidden=${formatNumber(t.hidden)} (absolute), output=${formatNumber(t.output)} × output range ${formatNumber(o.value)} (${basis})`);
}
function headerLine(report) {
    const modes = [report.weights ? `weights ${report.weights}` : "", report.cell ? `cell ${report.cell}` : ""].filter((s) => s);
    const seqs = `${report.sequences} sequence${report.sequences === 1 ? "" : "s"}, ${report.totalSteps} steps (longest ${report.maxSteps})`;
    return `lstm-gen verify: ${seqs}${modes.length ? `; ${modes.join(", ")}` : ""}`;
}
/** The report as an aligned table, one row per layer/direction/quantity, with the worst offender at the end. */
export function formatText(report) {
    const head = ["layer", "dir", "quantity", "max err", "rms err", "tolerance", "ratio", "seq, step, unit", "result"];
    const rows = report.results.map((r) => [
        layerCell(r),
        r.direction ?? "",
        quantityCell(r),
        formatNumber(r.maxError),
        formatNumber(r.rmsError),
        formatNumber(r.tolerance),
        formatNumber(r.ratio),
        locationCell(r.at),
        r.pass ? "PASS" : "FAIL",
    ]);
    const numeric = new Set([3, 4, 5, 6]);
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
    const line = (cells) => cells
        .map((s, c) => (numeric.has(c) ? padLeft(s, widths[c]) : c === cells.length - 1 ? s : pad(s, widths[c])))
        .join("  ")
        .trimEnd();
    const out = [headerLine(report), toleranceLine(report.tolerance, report), ""];
    out.push(line(head));
    out.push(line(widths.map((w) => "-".repeat(w))));
    for (const row of rows)
        out.push(line(row));
    out.push("");
    const a = report.argmax;
    if (a) {
        const verdict = a.disagreements === 0 ? `argmax agrees with the float model on all ${a.vectors} output vectors` : describeArgmax(a);
        out.push(`${verdict}${a.required ? (a.pass ? " (required: PASS)" : " (required: FAIL)") : " (informational)"}`);
    }
    out.push(`worst: ${oneLine(report.worst)}`);
    if (report.pass) {
        out.push("result: PASS");
    }
    else {
        const n = report.failures.length;
        out.push(`result: FAIL (${n} check${n === 1 ? "" : "s"} failed)`);
    }
    return out.join("\n");
}
/** Finite numbers as they are; Infinity and NaN (not representable in JSON) as null. */
function num(v) {
    return Number.isFinite(v) ? v : null;
}
/**
 * The report as a JSON-ready object: `{ pass, tolerance, results: [...], argmax?, worst, failures, ... }`.
 * Non-finite numbers become null. Pass it to `JSON.stringify`.
 */
export function toJson(report, opts = {}) {
    return {
        pass: report.pass,
        tolerance: { ...report.tolerance, spec: formatTolerance(report.tolerance) },
        ...(report.weights ? { weights: report.weights } : {}),
        ...(report.cell ? { cell: report.cell } : {}),
        sequences: report.sequences,
        totalSteps: report.totalSteps,
        maxSteps: report.maxSteps,
        cellRange: report.cellRange.map((r) => r.map(num)),
        outputRange: { value: num(report.outputRange.value), basis: report.outputRange.basis },
        results: report.results.map((r) => ({
            layer: r.layer,
            layerName: r.layerName,
            direction: r.direction,
            quantity: r.quantity,
            name: r.name,
            count: r.count,
            maxError: num(r.maxError),
            rmsError: num(r.rmsError),
            at: r.at,
            tolerance: num(r.tolerance),
            toleranceKey: r.basis.key,
            toleranceValue: num(r.basis.value),
            ...(r.basis.relativeTo
                ? { relativeTo: { what: r.basis.relativeTo.what, value: num(r.basis.relativeTo.value) } }
                : {}),
            ratio: num(r.ratio),
            pass: r.pass,
            ...(opts.series ? { series: { axis: r.series.axis, bucket: r.series.bucket, x: r.series.x, y: r.series.y.map(num) } } : {}),
        })),
        ...(report.argmax ? { argmax: { ...report.argmax } } : {}),
        worst: report.worst,
        failures: report.failures,
    };
}
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(s) {
    return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .3em}
h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
.verdict{display:inline-block;padding:.15em .6em;border-radius:4px;font-weight:bold;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}
th,td{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
td.n{text-align:right;font-family:ui-monospace,Menlo,Consolas,monospace}
td.ok{color:#2e7d32;font-weight:bold}td.bad{color:#c62828;font-weight:bold}
tr.failrow{background:#fff3f3}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.4em 0}
dt{color:#666}dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.plots{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #e3e3e3;border-radius:4px;padding:4px}
figcaption{font-size:12px;text-align:center}
svg text{font:10px sans-serif;fill:#444}
.worst{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f6f6f6;padding:.4em .6em;border-radius:4px}
footer{margin-top:2em;color:#888;font-size:12px}
`;
const W = 340;
const H = 200;
const M = { left: 64, right: 12, top: 12, bottom: 38 };
function f1(v) {
    return (Math.round(v * 10) / 10).toString();
}
/** A 1-2-5 step of about `v`. */
function niceStep(v) {
    if (!(v > 0) || !Number.isFinite(v))
        return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 5])
        if (m * p >= v)
            return m * p;
    return 10 * p;
}
function xTicks(x1) {
    if (x1 <= 0)
        return [0];
    const raw = x1 / 5;
    const p = 10 ** Math.floor(Math.log10(raw));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw);
    const ticks = [];
    for (let v = 0; v <= x1 + 1e-9; v += step)
        ticks.push(Math.round(v));
    return ticks;
}
/** One SVG plot of a result's error series, with its tolerance as a dashed line. */
export function plotSvg(r, scale = "log") {
    const s = r.series;
    const n = s.x.length;
    const lastX = n > 0 ? s.x[n - 1] + s.bucket - 1 : 0;
    const x1 = Math.max(1, lastX);
    const finite = s.y.filter((v) => Number.isFinite(v));
    const yMax = Math.max(0, ...finite);
    const tol = r.tolerance;
    let yOf;
    const yTicks = [];
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const xOf = (v) => M.left + (v / x1) * pw;
    if (scale === "log") {
        const positives = [...finite.filter((v) => v > 0), ...(tol > 0 && Number.isFinite(tol) ? [tol] : [])];
        let hiE = positives.length ? Math.ceil(Math.log10(Math.max(...positives))) : 0;
        let loE = positives.length ? Math.floor(Math.log10(Math.min(...positives))) : -6;
        if (hiE <= loE)
            hiE = loE + 1;
        if (hiE - loE > 10)
            loE = hiE - 10;
        const lo = loE;
        const hi = hiE;
        yOf = (v) => {
            const e = v > 0 ? Math.min(hi, Math.max(lo, Math.log10(v))) : lo;
            return M.top + ph - ((e - lo) / (hi - lo)) * ph;
        };
        const stepE = hi - lo > 6 ? 2 : 1;
        for (let e = lo; e <= hi; e += stepE)
            yTicks.push({ v: 10 ** e, label: `1e${e}` });
    }
    else {
        const step = niceStep(Math.max(yMax, Number.isFinite(tol) ? tol : 0) / 4);
        const ticks = Math.max(1, Math.ceil((Math.max(yMax, Number.isFinite(tol) ? tol : 0) * 1.02) / step));
        const top = step * ticks;
        yOf = (v) => M.top + ph - (Math.min(top, Math.max(0, Number.isFinite(v) ? v : top)) / top) * ph;
        for (let k = 0; k <= ticks; k++)
            yTicks.push({ v: step * k, label: formatNumber(step * k) });
    }
    const color = r.pass ? "#1565c0" : "#c62828";
    const parts = [];
    const bottom = M.top + ph;
    parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fcfcfc" stroke="#bbb"/>`);
    for (const t of yTicks) {
        const y = f1(yOf(t.v));
        parts.push(`<line x1="${M.left - 4}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>`);
        parts.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(t.label)}</text>`);
    }
    for (const t of xTicks(x1)) {
        const x = f1(xOf(t));
        parts.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#888"/>`);
        parts.push(`<text x="${x}" y="${bottom + 14}" text-anchor="middle">${t}</text>`);
    }
    const xLabel = s.axis === "sequence" ? "sequence" : "input step";
    parts.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">${xLabel}</text>`);
    parts.push(`<text x="11" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 11 ${M.top + ph / 2})">max |error|${scale === "log" ? " (log)" : ""}</text>`);
    if (Number.isFinite(tol) && (scale === "linear" || tol > 0)) {
        const y = f1(yOf(tol));
        parts.push(`<line class="tol" x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#e65100" stroke-width="1.2" stroke-dasharray="5 4"/>`);
        parts.push(`<text x="${M.left + pw - 2}" y="${Number(y) - 3}" text-anchor="end" style="fill:#e65100">tolerance ${escapeHtml(formatNumber(tol))}</text>`);
    }
    if (n === 1) {
        parts.push(`<circle cx="${f1(xOf(s.x[0]))}" cy="${f1(yOf(s.y[0]))}" r="3" fill="${color}"/>`);
    }
    else if (n > 1) {
        const pts = s.x.map((x, k) => `${f1(xOf(x))},${f1(yOf(s.y[k]))}`).join(" ");
        parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="1.3"/>`);
        if (n <= 40)
            for (let k = 0; k < n; k++)
                parts.push(`<circle cx="${f1(xOf(s.x[k]))}" cy="${f1(yOf(s.y[k]))}" r="2" fill="${color}"/>`);
    }
    const title = `${r.name}: max error ${formatNumber(r.maxError)}, tolerance ${formatNumber(tol)}`;
    return (`<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">` +
        `<title>${escapeHtml(title)}</title>${parts.join("")}</svg>`);
}
function figure(r, scale) {
    const verdict = r.pass ? `<span class="verdict pass">PASS</span>` : `<span class="verdict fail">FAIL</span>`;
    const caption = `${escapeHtml(r.label === "output" ? r.name : r.label)} ${verdict} max ${escapeHtml(formatNumber(r.maxError))}`;
    return `<figure>${plotSvg(r, scale)}<figcaption>${caption}</figcaption></figure>`;
}
function tableHtml(report) {
    const head = ["layer", "direction", "quantity", "max error", "RMS error", "tolerance", "ratio", "where (sequence, step, unit)", "result"];
    const rows = report.results.map((r) => {
        const layer = r.layer === null ? "output" : `${r.layer}${r.layerName ? ` '${r.layerName}'` : ""}`;
        const quantity = r.layer === null ? r.name : r.label;
        const where = r.at ? describeLocation(r.at) : "-";
        const cells = [
            `<td>${escapeHtml(layer)}</td>`,
            `<td>${escapeHtml(r.direction ?? "")}</td>`,
            `<td>${escapeHtml(quantity)}</td>`,
            `<td class="n">${escapeHtml(formatNumber(r.maxError))}</td>`,
            `<td class="n">${escapeHtml(formatNumber(r.rmsError))}</td>`,
            `<td class="n">${escapeHtml(formatNumber(r.tolerance))}</td>`,
            `<td class="n">${escapeHtml(formatNumber(r.ratio))}</td>`,
            `<td>${escapeHtml(where)}</td>`,
            r.pass ? `<td class="ok">PASS</td>` : `<td class="bad">FAIL</td>`,
        ];
        return `<tr${r.pass ? "" : ` class="failrow"`}>${cells.join("")}</tr>`;
    });
    return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
/** A self-contained HTML page: summary, table and one drift plot per quantity. Every model-derived string is escaped. */
export function renderHtml(report, meta = {}) {
    const scale = meta.yScale ?? "log";
    const title = meta.title ?? "lstm-gen verify";
    const info = [];
    if (meta.model !== undefined)
        info.push(["model", meta.model]);
    if (meta.data !== undefined)
        info.push(["data", meta.data]);
    if (meta.calibration !== undefined)
        info.push(["calibration", meta.calibration]);
    if (report.weights)
        info.push(["weights", report.weights]);
    if (report.cell)
        info.push(["cell", report.cell]);
    info.push(["sequences", `${report.sequences} (${report.totalSteps} steps, longest ${report.maxSteps})`]);
    info.push(["tolerance", formatTolerance(report.tolerance)]);
    info.push(["output range", `${formatNumber(report.outputRange.value)} (${report.outputRange.basis})`]);
    const sections = [];
    const groups = new Map();
    for (const r of report.results) {
        const key = r.layer === null ? "output" : `${r.layer}/${r.direction}`;
        const g = groups.get(key);
        if (g)
            g.push(r);
        else
            groups.set(key, [r]);
    }
    for (const [key, rs] of groups) {
        const first = rs[0];
        const heading = key === "output"
            ? "Output"
            : `Layer ${first.layer}${first.layerName ? ` '${first.layerName}'` : ""}, ${first.direction}`;
        const note = first.series.axis === "sequence" ? " (one value per sequence)" : "";
        sections.push(`<h2>${escapeHtml(heading)}${escapeHtml(note)}</h2><div class="plots">${rs.map((r) => figure(r, scale)).join("")}</div>`);
    }
    const a = report.argmax;
    const argmaxHtml = a
        ? `<p>${escapeHtml(a.disagreements === 0 ? `argmax agrees with the float model on all ${a.vectors} output vectors` : describeArgmax(a))}${escapeHtml(a.required ? (a.pass ? " (required: PASS)" : " (required: FAIL)") : " (informational)")}</p>`
        : "";
    const failures = report.failures.length
        ? `<h2>Failures</h2><ul>${report.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>`
        : "";
    const footer = [meta.version ? `lstm-gen ${meta.version}` : "lstm-gen", meta.generated ?? ""].filter((s) => s).join(" · ");
    return [
        "<!DOCTYPE html>",
        `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
        `<title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`,
        `<h1>${escapeHtml(title)} <span class="verdict ${report.pass ? "pass" : "fail"}">${report.pass ? "PASS" : "FAIL"}</span></h1>`,
        `<dl>${info.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`,
        `<p class="worst">worst: ${escapeHtml(report.worst)}</p>`,
        argmaxHtml,
        failures,
        `<h2>Summary</h2>`,
        tableHtml(report),
        `<p>Errors are |fixed − float| per value. Plots show, per ${report.results.some((r) => r.series.axis === "step") ? "input step" : "sequence"}, the largest error over all sequences and units` +
            `${report.maxSteps > 500 ? " (long sequences: the maximum of each bucket of steps)" : ""}; the dashed line is the tolerance. ` +
            `Reverse cells are indexed by the input step they consumed.</p>`,
        ...sections,
        `<footer>${escapeHtml(footer)}</footer>`,
        "</body></html>",
        "",
    ].join("\n");
}
