/** Longest sequence `run()` accepts unless the caller asks for more (the input region holds this many frames). */
export const DEFAULT_MAX_STEPS = 1024;
/** Version of the exported function/constant set (bumped when an export changes meaning). */
export const WASM_ABI_VERSION = 1;
export function numDirs(direction) {
    return direction === "bidirectional" ? 2 : 1;
}
function alignUp(n, a) {
    return Math.ceil(n / a) * a;
}
export function wasmModelInfo(qm, maxSteps = DEFAULT_MAX_STEPS) {
    if (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > 1 << 20) {
        throw new RangeError(`maxSteps must be an integer in [1, 2^20], got ${maxSteps}`);
    }
    const layers = [];
    let offset = 0;
    for (const layer of qm.layers) {
        const H = layer.hiddenSize;
        const dirs = numDirs(layer.direction);
        const cellBytes = layer.cellBits === 32 ? 4 : 2;
        const hBase = offset;
        const cBase = alignUp(hBase + dirs * H * 2, 4);
        const directions = [];
        for (let d = 0; d < dirs; d++)
            directions.push({ hOffset: hBase + d * H * 2, cOffset: cBase + d * H * cellBytes });
        offset = alignUp(cBase + dirs * H * cellBytes, 8);
        layers.push({ hiddenSize: H, cellBytes, directions });
    }
    const streaming = qm.layers.every((l) => l.direction === "forward");
    const outputPerStep = !qm.head || qm.head.reads === "every";
    return {
        inputSize: qm.input.size,
        outputSize: qm.outputSize,
        outputFrac: qm.outputFrac,
        maxSteps,
        streaming,
        outputPerStep,
        outputRows: outputPerStep ? maxSteps : 1,
        layers,
        stateSize: Math.max(8, offset),
    };
}
