/**
 * Identifiers of generated AssemblyScript. Every name the emitter declares goes through `Names.declare`, which
 * refuses a duplicate, a reserved word, an AssemblyScript builtin the generated code relies on, or a kernel name.
 * Names are built from layer indices and fixed words only (never from the model's layer names), so a refusal is a
 * compiler bug, reported as such.
 */

/** TypeScript/AssemblyScript reserved words. */
const KEYWORDS = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "as",
  "implements", "interface", "let", "package", "private", "protected", "public", "static", "yield", "abstract",
  "declare", "namespace", "module", "type", "readonly", "async", "await", "of", "is", "keyof", "unique",
]);

/** Reserved words, AssemblyScript types and the builtins generated code uses. */
const RESERVED = new Set([
  ...KEYWORDS,
  "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize", "bool", "f32", "f64", "v128",
  "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2", "memory", "load", "store", "min", "max", "abs",
  "unreachable", "changetype", "sizeof", "alignof", "offsetof", "assert", "abort", "trace", "seed",
  "ASC_FEATURE_SIMD", "__heap_base", "__data_end", "Math", "Mathf", "NativeMath", "String", "Array",
]);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A TypeScript/AssemblyScript keyword (cannot name anything). */
export function isKeyword(name: string): boolean {
  return KEYWORDS.has(name);
}

export class Names {
  private readonly used = new Set<string>();

  constructor(private readonly taken: ReadonlySet<string> = new Set()) {}

  declare(name: string): string {
    if (!IDENT.test(name)) throw new Error(`lstm-gen compiler bug: '${name}' is not an identifier`);
    if (RESERVED.has(name)) throw new Error(`lstm-gen compiler bug: generated identifier '${name}' is reserved`);
    if (this.taken.has(name)) throw new Error(`lstm-gen compiler bug: generated identifier '${name}' names a kernel`);
    if (this.used.has(name)) throw new Error(`lstm-gen compiler bug: generated identifier '${name}' declared twice`);
    this.used.add(name);
    return name;
  }
}

/** Text safe inside a `//` comment of generated code: one line, no control characters. */
export function commentText(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, " ").replace(/[\u0000-\u001f\u007f]/g, "?");
}
