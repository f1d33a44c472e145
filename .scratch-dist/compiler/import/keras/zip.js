/**
 * A minimal ZIP reader for Keras 3 `.keras` archives: reads the central directory, then inflates the few
 * members asked for (stored or deflated, with ZIP64 sizes), checking sizes and CRC-32. Every problem is a
 * one-line input error naming the archive.
 *
 * Layout (APPNOTE.TXT): local headers + data …, central directory entries (0x02014b50), end-of-central-directory
 * record (0x06054b50) in the last 64 KiB + 22 bytes.
 */
import { crc32, inflateRawSync } from "node:zlib";
import { inputError } from "../../errors.js";
/** Largest member lstm-gen inflates (1 GiB): a guard against zip bombs. */
export const MAX_MEMBER_BYTES = 1 << 30;
export class ZipReader {
    file;
    bytes;
    entries;
    constructor(file, bytes) {
        this.file = file;
        this.bytes = bytes;
        this.entries = readCentralDirectory(file, bytes);
    }
    has(name) {
        return this.entries.has(name);
    }
    /** The uncompressed bytes of member `name`. */
    read(name) {
        const fail = (problem) => inputError(this.file, `member '${name}' ${problem}`);
        const e = this.entries.get(name);
        if (!e)
            throw inputError(this.file, `has no member '${name}'`);
        if (e.flags & 1)
            throw fail("is encrypted");
        if (e.size > MAX_MEMBER_BYTES)
            throw fail(`is ${e.size} bytes uncompressed (more than ${MAX_MEMBER_BYTES} is refused)`);
        const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
        if (e.localOffset + 30 > this.bytes.length || view.getUint32(e.localOffset, true) !== 0x04034b50) {
            throw fail("has a bad local header offset; the archive is corrupt or truncated");
        }
        const start = e.localOffset + 30 + view.getUint16(e.localOffset + 26, true) + view.getUint16(e.localOffset + 28, true);
        const end = start + e.compressedSize;
        if (end > this.bytes.length)
            throw fail("extends past the end of the archive; is it truncated?");
        const raw = this.bytes.subarray(start, end);
        let out;
        if (e.method === 0) {
            out = raw;
        }
        else if (e.method === 8) {
            try {
                out = inflateRawSync(raw, { maxOutputLength: Math.max(e.size, 1) });
            }
            catch (err) {
                throw fail(`cannot be inflated (${err.message}); the archive is corrupt`);
            }
        }
        else {
            throw fail(`uses compression method ${e.method}; only stored (0) and deflate (8) are supported`);
        }
        if (out.length !== e.size)
            throw fail(`inflates to ${out.length} bytes but the directory says ${e.size}`);
        if ((crc32(out) >>> 0) !== e.crc)
            throw fail("fails its CRC-32 check; the archive is corrupt");
        return out;
    }
}
function readCentralDirectory(file, bytes) {
    const fail = (problem) => inputError(file, problem);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let eocd = -1;
    for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
        if (view.getUint32(at, true) === 0x06054b50) {
            eocd = at;
            break;
        }
    }
    if (eocd < 0) {
        const isZip = bytes.length >= 4 && view.getUint32(0, true) === 0x04034b50;
        throw fail(isZip ? "is a truncated ZIP archive (no end-of-central-directory record)" : "is not a ZIP archive (a .keras file is a zip)");
    }
    let count = view.getUint16(eocd + 10, true);
    let cdSize = view.getUint32(eocd + 12, true);
    let cdOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
        // ZIP64 end-of-central-directory locator just before the EOCD record.
        const loc = eocd - 20;
        if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50)
            throw fail("has a ZIP64 directory without its locator");
        const rec = Number(view.getBigUint64(loc + 8, true));
        if (rec + 56 > bytes.length || view.getUint32(rec, true) !== 0x06064b50)
            throw fail("has a corrupt ZIP64 directory record");
        count = Number(view.getBigUint64(rec + 32, true));
        cdSize = Number(view.getBigUint64(rec + 40, true));
        cdOffset = Number(view.getBigUint64(rec + 48, true));
    }
    if (cdOffset + cdSize > bytes.length)
        throw fail("has a central directory past the end of the file; is it truncated?");
    if (count > 100_000)
        throw fail(`has ${count} members (more than 100000 is refused)`);
    const entries = new Map();
    let at = cdOffset;
    for (let k = 0; k < count; k++) {
        if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50)
            throw fail("has a corrupt central directory");
        const flags = view.getUint16(at + 8, true);
        const method = view.getUint16(at + 10, true);
        const crc = view.getUint32(at + 16, true);
        let compressedSize = view.getUint32(at + 20, true);
        let size = view.getUint32(at + 24, true);
        const nameLen = view.getUint16(at + 28, true);
        const extraLen = view.getUint16(at + 30, true);
        const commentLen = view.getUint16(at + 32, true);
        let localOffset = view.getUint32(at + 42, true);
        const nameEnd = at + 46 + nameLen;
        if (nameEnd + extraLen + commentLen > bytes.length)
            throw fail("has a corrupt central directory");
        const name = new TextDecoder().decode(bytes.subarray(at + 46, nameEnd));
        // ZIP64 extra field (id 1): the 64-bit values of the fields that are 0xFFFFFFFF, in order.
        let x = nameEnd;
        while (x + 4 <= nameEnd + extraLen) {
            const id = view.getUint16(x, true);
            const len = view.getUint16(x + 2, true);
            if (id === 1) {
                let p = x + 4;
                const next = () => {
                    if (p + 8 > x + 4 + len)
                        throw fail(`member '${name}' has a short ZIP64 extra field`);
                    const v = Number(view.getBigUint64(p, true));
                    p += 8;
                    return v;
                };
                if (size === 0xffffffff)
                    size = next();
                if (compressedSize === 0xffffffff)
                    compressedSize = next();
                if (localOffset === 0xffffffff)
                    localOffset = next();
            }
            x += 4 + len;
        }
        entries.set(name, { name, method, flags, crc, compressedSize, size, localOffset });
        at = nameEnd + extraLen + commentLen;
    }
    return entries;
}
