/**
 * The C engines: run the generated C on the host (`c`) or on an emulated microcontroller (`qemu:<mcu>`) and
 * return exactly what the golden model's `IntSequenceRun.output` holds, per sequence.
 *
 * Each call generates the C, writes a test harness with the sequences compiled in (targets/c/harness.ts),
 * compiles, runs and parses the printed outputs, in a temporary directory that is removed afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usageError } from "../../compiler/errors.js";
import { emitC } from "./emit.js";
import { harnessSource, outputLength, parseHarnessOutput } from "./harness.js";
import { mcuFile } from "./paths.js";
import { compile, hostCompiler, MCU_SPECS, requireCrossCompiler, requireTool, run } from "./toolchain.js";
export const C_ENGINES = ["c", "qemu:cortex-m0", "qemu:cortex-m4", "qemu:cortex-m7", "qemu:rv32imc"];
/** Name of the generated model inside engine builds. */
const NAME = "model";
/** The MCU of a `qemu:` engine, or undefined for the host engine; a usage error for anything else. */
export function engineMcu(engine) {
    if (engine === "c")
        return undefined;
    const m = /^qemu:(.+)$/.exec(engine);
    if (m && m[1] in MCU_SPECS)
        return m[1];
    throw usageError(`unknown C engine '${engine}'; use one of: ${C_ENGINES.join(", ")}`);
}
/** Check that the tools of `engine` are installed (a one-line usage error naming the apt packages if not). */
export function checkEngineTools(engine) {
    const mcu = engineMcu(engine);
    if (mcu === undefined) {
        hostCompiler();
        return;
    }
    const spec = MCU_SPECS[mcu];
    requireCrossCompiler(spec, `engine ${engine}`);
    requireTool(spec.qemu, spec.qemuPackages, `engine ${engine}`);
}
function makeDir(parent) {
    const base = parent ?? tmpdir();
    mkdirSync(base, { recursive: true });
    return mkdtempSync(join(base, "lstm-gen-c-"));
}
/**
 * Run `seqs` through the generated C of `qm` on `engine`. Returns per sequence the int16 output in the model's
 * output format: [steps × OUTPUT_SIZE] when the head reads every step (or there is no head), [OUTPUT_SIZE]
 * otherwise — the layout of `IntSequenceRun.output`.
 */
export async function runCEngine(qm, seqs, engine, opts = {}) {
    const mcu = engineMcu(engine);
    checkEngineTools(engine);
    for (const [k, s] of seqs.entries()) {
        if (!(Number.isInteger(s.steps) && s.steps >= 1) || s.xq.length !== s.steps * qm.input.size) {
            throw new RangeError(`runCEngine: sequence ${k} must have steps >= 1 and steps * ${qm.input.size} values`);
        }
    }
    if (opts.sanitize && mcu !== undefined)
        throw usageError("sanitizers are only available with the host engine 'c'");
    const mode = opts.mode ?? "run";
    const maxSteps = Math.max(1, ...seqs.map((s) => s.steps));
    const dir = makeDir(opts.workDir);
    try {
        const files = emitC(qm, { name: NAME, version: "engine", modelHash: "-", modelFile: "-", maxSteps });
        for (const [f, text] of files)
            writeFileSync(join(dir, f), text);
        // Short chunks on the microcontrollers keep the output buffer small (micro:bit: 16 KiB of RAM).
        const chunk = mcu === undefined ? 1 << 20 : 32;
        writeFileSync(join(dir, "harness.c"), harnessSource(qm, seqs, { name: NAME, mode, chunk }));
        const what = `engine ${engine} (${mode}) in ${dir}`;
        let stdout;
        if (mcu === undefined) {
            const cc = hostCompiler();
            const san = opts.sanitize ? ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"] : [];
            await compile(cc, ["-std=c99", "-O2", ...san, ...(opts.cflags ?? []), "-I", dir, `${NAME}.c`, "harness.c", mcuFile("host.c"), "-o", "harness"], dir);
            const r = await run(join(dir, "harness"), [], { cwd: dir, timeoutMs: 300_000 });
            if (r.code !== 0)
                throw new Error(`internal: ${what}: exit ${r.code}\n${r.stderr.slice(0, 4000)}`);
            stdout = r.stdout;
        }
        else {
            const spec = MCU_SPECS[mcu];
            await compile(spec.cc, [
                ...spec.cpuFlags,
                "-std=c99",
                "-O2",
                "-ffunction-sections",
                "-fdata-sections",
                ...(opts.cflags ?? []),
                "-I",
                dir,
                `${NAME}.c`,
                "harness.c",
                ...spec.startup(),
                ...spec.linkFlags(),
                "-o",
                "harness.elf",
            ], dir);
            const r = await run(spec.qemu, [...spec.qemuArgs, "-kernel", join(dir, "harness.elf")], { cwd: dir, timeoutMs: 300_000 });
            if (r.code !== 0)
                throw new Error(`internal: ${what}: QEMU exit ${r.code}\n${r.stdout.slice(0, 400)}\n${r.stderr.slice(0, 2000)}`);
            stdout = r.stdout;
        }
        return parseHarnessOutput(stdout, seqs.map((s) => outputLength(qm, s.steps)), what);
    }
    finally {
        if (!opts.keep)
            rmSync(dir, { recursive: true, force: true });
    }
}
