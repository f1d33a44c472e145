/**
 * Read input sequences from a `.npy`, `.json` or `.csv` file (chosen by extension, case-insensitively).
 * Every problem with the file is reported as a one-line input error that starts with the file name.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { inputError } from "../errors.js";
import { parseCsv } from "./csv.js";
import { parseJson } from "./json.js";
import { parseNpy } from "./npy.js";
export function readSequences(file, opts = {}) {
    const ext = extname(file).toLowerCase();
    const formats = ".npy, .json or .csv";
    let parse;
    switch (ext) {
        case ".npy":
            parse = (bytes) => parseNpy(file, bytes);
            break;
        case ".json":
            parse = (bytes) => parseJson(file, decodeText(file, bytes));
            break;
        case ".csv":
            parse = (bytes) => parseCsv(file, decodeText(file, bytes));
            break;
        case ".npz":
            throw inputError(file, `.npz archives are not supported; save one array with numpy.save as ${formats}`);
        case "":
            throw inputError(file, `has no extension to tell its format; supported data formats are ${formats}`);
        default:
            throw inputError(file, `has unsupported data format "${ext}"; supported data formats are ${formats}`);
    }
    const set = parse(readBytes(file));
    if (opts.features !== undefined && set.features !== opts.features) {
        throw inputError(file, `has ${set.features} features per step but the model expects ${opts.features}`);
    }
    return set;
}
function readBytes(file) {
    try {
        return readFileSync(file);
    }
    catch (e) {
        const code = e?.code;
        switch (code) {
            case "ENOENT":
                throw inputError(file, "no such file");
            case "EISDIR":
                throw inputError(file, "is a directory, not a data file");
            case "EACCES":
            case "EPERM":
                throw inputError(file, "cannot be read (permission denied)");
            case "ERR_FS_FILE_TOO_LARGE":
                throw inputError(file, "is too large to read");
            default:
                throw inputError(file, `cannot be read (${code ?? (e instanceof Error ? e.message : String(e))})`);
        }
    }
}
function decodeText(file, bytes) {
    try {
        // fatal: reject invalid UTF-8 instead of inventing U+FFFD; a leading byte-order mark is dropped.
        return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    }
    catch (e) {
        if (e instanceof RangeError)
            throw inputError(file, "is too large to read as text");
        throw inputError(file, "is not valid UTF-8 text");
    }
}
