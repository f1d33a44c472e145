/**
 * Small typed helpers for writing C source (in the spirit of emlearn's cgen.py): identifiers checked against C
 * and C++ reserved words and against each other, integer literals that are valid for their type, array
 * declarations, comments that model-controlled text cannot break out of, and a writer that tracks indentation
 * so that no caller counts spaces.
 */

/** Keywords of C89 to C23 and C++98 to C++23 (including alternative tokens and contextual-looking words). */
const KEYWORDS = [
  // C
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
  "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
  "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
  "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
  "_Static_assert", "_Thread_local", "_BitInt", "_Decimal32", "_Decimal64", "_Decimal128",
  "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert", "thread_local", "true",
  "typeof", "typeof_unqual",
  // C++
  "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t", "class", "co_await",
  "co_return", "co_yield", "compl", "concept", "const_cast", "consteval", "constinit", "decltype", "delete",
  "dynamic_cast", "explicit", "export", "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
  "operator", "or", "or_eq", "private", "protected", "public", "reinterpret_cast", "requires", "static_cast",
  "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
  "final", "override", "import", "module",
  // Names the generated code relies on (standard headers and the preprocessor).
  "NULL", "size_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
  "defined",
];

export const C_RESERVED_WORDS: ReadonlySet<string> = new Set(KEYWORDS);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A syntactically valid identifier (ASCII letters, digits, underscore; not starting with a digit). */
export function isCIdentifier(s: string): boolean {
  return IDENT.test(s);
}

/**
 * Why `s` cannot be used as a C/C++ identifier prefix, or undefined when it can. Besides keywords this refuses
 * identifiers reserved to the implementation: a leading underscore followed by an uppercase letter or another
 * underscore, and (C++) any double underscore or a trailing underscore (the generated `<name>_...` would then
 * contain "__").
 */
export function identifierProblem(s: string): string | undefined {
  if (s.length === 0) return "it is empty";
  if (!isCIdentifier(s)) return "it is not a C identifier (letters, digits and '_', not starting with a digit)";
  if (C_RESERVED_WORDS.has(s)) return "it is a C/C++ reserved word";
  if (/^_[A-Z_]/.test(s) || s.includes("__")) return "identifiers with '__' or a leading '_' + capital are reserved";
  if (s.endsWith("_")) return "it ends with '_' (the generated names would contain '__')";
  if (s.length > 40) return "it is longer than 40 characters";
  // The files are <name>.c/.h and <name>_float.c/.h, and CMake makes a library target of the name.
  if (s.endsWith("_float")) return "it ends with '_float' (the helper files of a model named without it would clash)";
  if (CMAKE_RESERVED.has(s.toLowerCase())) return "CMake reserves it as a target name";
  if (s === "main") return "a model's files would be main.c and main.h";
  return undefined;
}

/** Target names CMake reserves (its cmake-policies(7) CMP0037 list and the Makefile generators' own targets). */
const CMAKE_RESERVED = new Set(["all", "clean", "help", "install", "test", "package", "package_source", "edit_cache", "rebuild_cache", "depend", "list_install_components"]);

/**
 * A registry of the identifiers one generated file declares: each `add` returns the name or throws when it
 * collides with a reserved word, with a name the copied kernels use, or with a previous declaration. This makes
 * "identifier mangling cannot collide" a checked property instead of a hope.
 */
export class Identifiers {
  private readonly used = new Set<string>();
  constructor(private readonly reserved: ReadonlySet<string>) {}

  add(id: string): string {
    if (!isCIdentifier(id)) throw new Error(`internal: '${id}' is not a C identifier`);
    if (this.reserved.has(id) || C_RESERVED_WORDS.has(id)) throw new Error(`internal: identifier '${id}' is reserved`);
    if (this.used.has(id)) throw new Error(`internal: identifier '${id}' declared twice`);
    this.used.add(id);
    return id;
  }
}

/**
 * Text that is safe inside a C block comment: printable ASCII only (others become '_'), no comment delimiters,
 * no trigraphs, no backslashes, at most `max` characters.
 */
export function commentText(s: string, max = 80): string {
  let t = s.replace(/[^\x20-\x7e]/g, "_").replace(/[\\?]/g, "_");
  t = t.replace(/\*\//g, "*_/").replace(/\/\*/g, "/_*");
  if (t.length > max) t = `${t.slice(0, max - 3)}...`;
  return t;
}

export type CIntType = "int8_t" | "int16_t" | "int32_t" | "uint8_t" | "uint32_t" | "int64_t";

const RANGES: Record<CIntType, readonly [bigint, bigint]> = {
  int8_t: [-128n, 127n],
  int16_t: [-32768n, 32767n],
  int32_t: [-(2n ** 31n), 2n ** 31n - 1n],
  int64_t: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8_t: [0n, 255n],
  uint32_t: [0n, 2n ** 32n - 1n],
};

/** An integer constant valid for `type` everywhere (INT32_MIN is spelled so that no constant overflows). */
export function cInt(v: number | bigint, type: CIntType): string {
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new Error(`internal: ${v} is not an integer`);
  const b = BigInt(v);
  const [lo, hi] = RANGES[type];
  if (b < lo || b > hi) throw new Error(`internal: ${b} does not fit ${type}`);
  if (type === "int32_t" && b === lo) return "INT32_MIN";
  if (type === "uint32_t") return `0x${b.toString(16).toUpperCase().padStart(8, "0")}u`;
  if (type === "int64_t") {
    if (b === lo) return "INT64_MIN";
    return b > 2147483647n || b < -2147483647n ? `INT64_C(${b})` : `${b}`;
  }
  return `${b}`;
}

/** Writes lines with tracked indentation (4 spaces per level). */
export class CWriter {
  private readonly out: string[] = [];
  private depth = 0;

  line(text = ""): this {
    this.out.push(text === "" ? "" : "    ".repeat(this.depth) + text);
    return this;
  }

  lines(texts: readonly string[]): this {
    for (const t of texts) this.line(t);
    return this;
  }

  /** `head {`, the body indented, then `tail`. */
  block(head: string, body: () => void, tail = "}"): this {
    this.line(`${head} {`);
    this.depth++;
    body();
    this.depth--;
    this.line(tail);
    return this;
  }

  /** `if (c1) { ... } else if (c2) { ... } else { ... }`; a branch without a condition is the final `else`. */
  ifChain(branches: readonly (readonly [cond: string | undefined, body: () => void])[]): this {
    branches.forEach(([cond, body], k) => {
      const head = cond === undefined ? "else" : k === 0 ? `if (${cond})` : `else if (${cond})`;
      if (k === 0) this.line(`${head} {`);
      else this.out[this.out.length - 1] += ` ${head} {`;
      this.depth++;
      body();
      this.depth--;
      this.line("}");
    });
    return this;
  }

  /** A function definition: the signature, then the body in braces on their own lines. */
  fn(signature: string, body: () => void): this {
    this.line(signature);
    this.line("{");
    this.depth++;
    body();
    this.depth--;
    return this.line("}");
  }

  /** A block comment; `doc` makes it a `/** ... *\/` documentation comment. The text must be safe already. */
  comment(text: readonly string[], doc = false): this {
    if (text.length === 1 && !doc) return this.line(`/* ${text[0]} */`);
    this.line(doc ? "/**" : "/*");
    for (const t of text) this.line(t === "" ? " *" : ` * ${t}`);
    return this.line(" */");
  }

  /** Append verbatim text (e.g. a copied runtime file) without re-indenting it. */
  raw(text: string): this {
    for (const l of text.replace(/\n$/, "").split("\n")) this.out.push(l);
    return this;
  }

  toString(): string {
    return `${this.out.join("\n")}\n`;
  }
}

/**
 * `<storage> <type> <name>[<n>] = { ... };` with a fixed number of values per line. An empty array gets one
 * zero element (C has no zero-length arrays); callers never index it.
 */
export function arrayDecl(
  w: CWriter,
  storage: string,
  type: CIntType,
  name: string,
  values: ArrayLike<number>,
  perLine = type === "int8_t" || type === "uint8_t" ? 16 : type === "int16_t" ? 12 : 8,
): void {
  const n = values.length;
  const items: string[] = [];
  for (let k = 0; k < n; k++) items.push(cInt(values[k]!, type));
  if (n === 0) items.push("0");
  w.line(`${storage} ${type} ${name}[${Math.max(n, 1)}] = {`);
  for (let k = 0; k < items.length; k += perLine) {
    w.line(`    ${items.slice(k, k + perLine).join(", ")},`);
  }
  w.line("};");
}
