export function isSym(d) {
    return typeof d !== "number";
}
export function constValue(dims, data, integer) {
    return { kind: "const", dims, data, integer };
}
/** A shape vector; folds to a constant when every entry is a number. */
export function shapeValue(entries, scalar) {
    if (entries.every((e) => !isSym(e))) {
        return constValue(scalar ? [] : [entries.length], Float64Array.from(entries), true);
    }
    return { kind: "shape", entries, scalar };
}
export function sameBlocks(a, b) {
    return a.length === b.length && a.every((x, k) => x.layer === b[k].layer && x.dir === b[k].dir);
}
export function product(dims) {
    return dims.reduce((p, d) => p * d, 1);
}
export function strides(dims) {
    const s = new Array(dims.length).fill(1);
    for (let k = dims.length - 2; k >= 0; k--)
        s[k] = s[k + 1] * dims[k + 1];
    return s;
}
/** Normalize a possibly negative axis; undefined when out of range. */
export function normAxis(axis, rank) {
    const a = axis < 0 ? axis + rank : axis;
    return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}
// ---- Constant tensor operations (small tensors: weights, shapes, indices) ----
export function constTranspose(c, perm) {
    const dims = perm.map((p) => c.dims[p]);
    const inS = strides(c.dims);
    const outS = strides(dims);
    const out = new Float64Array(c.data.length);
    for (let k = 0; k < out.length; k++) {
        let rem = k;
        let src = 0;
        for (let j = 0; j < dims.length; j++) {
            const i = Math.floor(rem / outS[j]);
            rem -= i * outS[j];
            src += i * inS[perm[j]];
        }
        out[k] = c.data[src];
    }
    return constValue(dims, out, c.integer);
}
/** Take `indices` along `axis`; `keep` false removes the axis (scalar index). */
export function constTake(c, axis, indices, keep) {
    const outer = product(c.dims.slice(0, axis));
    const inner = product(c.dims.slice(axis + 1));
    const n = c.dims[axis];
    const out = new Float64Array(outer * indices.length * inner);
    let o = 0;
    for (let a = 0; a < outer; a++) {
        for (const idx of indices) {
            const base = (a * n + idx) * inner;
            for (let b = 0; b < inner; b++)
                out[o++] = c.data[base + b];
        }
    }
    const dims = [...c.dims.slice(0, axis), ...(keep ? [indices.length] : []), ...c.dims.slice(axis + 1)];
    return constValue(dims, out, c.integer);
}
export function constConcat(parts, axis) {
    const first = parts[0];
    const outer = product(first.dims.slice(0, axis));
    const inner = product(first.dims.slice(axis + 1));
    const total = parts.reduce((s, p) => s + p.dims[axis], 0);
    const out = new Float64Array(outer * total * inner);
    let o = 0;
    for (let a = 0; a < outer; a++) {
        for (const p of parts) {
            const len = p.dims[axis] * inner;
            out.set(p.data.subarray(a * len, (a + 1) * len), o);
            o += len;
        }
    }
    const dims = [...first.dims];
    dims[axis] = total;
    return constValue(dims, out, parts.every((p) => p.integer));
}
/** Numpy-style broadcast of two shapes; undefined when incompatible. */
export function broadcastDims(a, b) {
    const rank = Math.max(a.length, b.length);
    const out = [];
    for (let k = 0; k < rank; k++) {
        const x = a[a.length - rank + k] ?? 1;
        const y = b[b.length - rank + k] ?? 1;
        if (x !== y && x !== 1 && y !== 1)
            return undefined;
        out.push(x === 1 ? y : x);
    }
    return out;
}
/** Element-wise binary operation with broadcasting. */
export function constBinary(a, b, f, integer) {
    const dims = broadcastDims(a.dims, b.dims);
    if (!dims)
        return undefined;
    const n = product(dims);
    const out = new Float64Array(n);
    const os = strides(dims);
    const index = (c, k) => {
        const s = strides(c.dims);
        const off = dims.length - c.dims.length;
        let rem = k;
        let src = 0;
        for (let j = 0; j < dims.length; j++) {
            const i = Math.floor(rem / os[j]);
            rem -= i * os[j];
            if (j >= off && c.dims[j - off] !== 1)
                src += i * s[j - off];
        }
        return src;
    };
    for (let k = 0; k < n; k++)
        out[k] = f(a.data[index(a, k)], b.data[index(b, k)]);
    return constValue(dims, out, integer);
}
