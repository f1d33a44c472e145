/**
 * Where the C target's data files live. They ship with the package (`runtime/`, `targets/c/mcu/`) and are
 * found relative to this module, both from the TypeScript sources (targets/c/paths.ts) and from the compiled
 * JavaScript (dist/targets/c/paths.js).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
let root;
/** The package root: the nearest ancestor of this module holding runtime/c/lstmgen_kernels.h. */
export function packageRoot() {
    if (root !== undefined)
        return root;
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
        if (existsSync(join(dir, "runtime", "c", "lstmgen_kernels.h")))
            return (root = dir);
        const up = dirname(dir);
        if (up === dir)
            throw new Error("internal: cannot find runtime/c/lstmgen_kernels.h above " + fileURLToPath(import.meta.url));
        dir = up;
    }
}
/** A file of runtime/c/. */
export function runtimeFile(name) {
    return join(packageRoot(), "runtime", "c", name);
}
/** A file of targets/c/mcu/ (startup code and linker scripts of the emulated boards). */
export function mcuFile(name) {
    return join(packageRoot(), "targets", "c", "mcu", name);
}
