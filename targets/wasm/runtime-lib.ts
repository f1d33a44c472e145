/**
 * The AssemblyScript kernel library (runtime/as/*.ts) as the emitter sees it: every top-level function, its source
 * text without `export` (generated modules export only their own entry points), and the kernels it calls. The
 * emitter copies the functions a model needs, dependencies first, into the generated file.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Project, SyntaxKind } from "ts-morph";

/** Library files in dependency order; a function's dependencies always come from the same or an earlier file. */
export const RUNTIME_FILES = ["fixed.ts", "activation.ts", "cell.ts", "matvec_simd.ts", "matvec.ts", "lstm_simd.ts"] as const;

export interface Kernel {
  readonly name: string;
  readonly file: string;
  /** The declaration with its doc comment and `@inline` decorator, without `export`. */
  readonly text: string;
  /** Other kernels it calls. */
  readonly deps: readonly string[];
}

let cached: ReadonlyMap<string, Kernel> | undefined;

/** runtime/as, found from this file whether it runs from the sources or from dist/. */
export function runtimeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "runtime", "as");
    if (existsSync(join(candidate, "fixed.ts"))) return candidate;
    dir = resolve(dir, "..");
  }
  throw new Error("lstm-gen installation is incomplete: runtime/as/fixed.ts not found");
}

/** All kernels, in library order (file order, then declaration order). */
export function runtimeKernels(): ReadonlyMap<string, Kernel> {
  if (cached) return cached;
  const dir = runtimeDir();
  const project = new Project({ useInMemoryFileSystem: true });
  const decls: { name: string; file: string; text: string; body: string }[] = [];
  for (const file of RUNTIME_FILES) {
    const sf = project.createSourceFile(file, readFileSync(join(dir, file), "utf8"));
    for (const fn of sf.getFunctions()) {
      const name = fn.getName();
      if (!name) continue;
      fn.setIsExported(false);
      // Keep the function's own doc comment and what follows it (`// @ts-ignore`, `@inline`), not a file header
      // that happens to precede the first function.
      const full = fn.getFullText();
      const comments = fn.getLeadingCommentRanges();
      const docs = comments.filter((c) => c.getText().startsWith("/**"));
      const from = docs.length > 0 ? docs[docs.length - 1]!.getPos() - fn.getPos() : full.length - full.trimStart().length;
      decls.push({ name, file, text: full.slice(from).trim(), body: fn.getBody()?.getText() ?? "" });
    }
  }
  const names = new Set(decls.map((d) => d.name));
  const kernels = new Map<string, Kernel>();
  for (const d of decls) {
    if (kernels.has(d.name)) throw new Error(`runtime/as: function ${d.name} is defined twice`);
    const body = project.createSourceFile(`__deps_${d.name}.ts`, d.body);
    const deps = new Set<string>();
    for (const id of body.getDescendantsOfKind(SyntaxKind.Identifier)) {
      const n = id.getText();
      if (n !== d.name && names.has(n)) deps.add(n);
    }
    kernels.set(d.name, { name: d.name, file: d.file, text: d.text, deps: [...deps].sort() });
  }
  cached = kernels;
  return kernels;
}

/** The kernels `roots` need (themselves and every kernel they call), in library order. */
export function kernelClosure(roots: Iterable<string>): Kernel[] {
  const all = runtimeKernels();
  const need = new Set<string>();
  const visit = (n: string): void => {
    if (need.has(n)) return;
    const k = all.get(n);
    if (!k) throw new Error(`lstm-gen compiler bug: kernel ${n} is not in runtime/as`);
    need.add(n);
    for (const d of k.deps) visit(d);
  };
  for (const r of roots) visit(r);
  return [...all.values()].filter((k) => need.has(k.name));
}
