/**
 * The packages around the generated C: the same C bytes in every package; the plain-C package builds with
 * CMake and links into a program; the ESP-IDF component registers every source; the Arduino library has the
 * standard layout and its example sketch compiles (against a minimal Arduino.h stand-in). The doc's examples
 * compile and run, and the float helpers quantize exactly as lstm-gen does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { quantizeInput } from "../compiler/golden/golden.js";
import { emitC } from "../targets/c/emit.js";
import { packageC } from "../targets/c/package.js";
import { inTempDir, mustRun } from "./helpers/c-build.js";
import { loadFixture, rng } from "./helpers/c-models.js";

const OPTS = { version: "0.1.0", modelHash: "sha256:0", modelFile: "model.onnx" };

/** Just enough of Arduino.h for the example sketch to compile as C++ on the host. */
const ARDUINO_STUB = [
  "#pragma once",
  "#include <math.h>",
  "#include <stddef.h>",
  "struct SerialStub { void begin(long) {} void print(float, int) {} void print(char) {} };",
  "static SerialStub Serial;",
  "static inline void delay(unsigned long) {}",
  "",
].join("\n");

describe.concurrent("packageC", () => {
  for (const f of ["sine", "bidir"] as const) {
    const files = emitC(loadFixture(f).qm, { ...OPTS, name: "kws", maxSteps: 50 });

    it(`${f}: every package carries the same C files`, () => {
      const c = packageC("c", files, "kws");
      const idf = packageC("esp-idf", files, "kws");
      const ard = packageC("arduino", files, "kws");
      for (const [name, text] of files) {
        expect(c.get(name), name).toBe(text);
        expect(idf.get(name), name).toBe(text);
        expect(ard.get(`src/${name}`), name).toBe(text);
      }
      expect([...c.keys()].sort()).toEqual([...files.keys(), "CMakeLists.txt", "library.json"].sort());
      expect([...idf.keys()].sort()).toEqual([...files.keys(), "CMakeLists.txt", "idf_component.yml"].sort());
      expect([...ard.keys()].sort()).toEqual([...[...files.keys()].map((k) => `src/${k}`), "library.properties", "examples/kws_stream/kws_stream.ino"].sort());
    });

    it(`${f}: the ESP-IDF component and the PlatformIO / Arduino manifests`, () => {
      const idf = packageC("esp-idf", files, "kws");
      expect(idf.get("CMakeLists.txt")).toMatch(/idf_component_register\(SRCS "kws\.c" "kws_float\.c"\s+INCLUDE_DIRS "\."\)/);
      expect(idf.get("idf_component.yml")).toContain('version: "0.1.0"');
      const lib = JSON.parse(packageC("c", files, "kws").get("library.json")!) as { name: string; version: string; build: { srcDir: string } };
      expect(lib.name).toBe("kws");
      expect(lib.version).toBe("0.1.0");
      const props = packageC("arduino", files, "kws").get("library.properties")!;
      for (const key of ["name=kws", "version=0.1.0", "author=", "maintainer=", "sentence=", "paragraph=", "category=", "url=", "architectures=*", "includes=kws.h"]) {
        expect(props).toContain(key);
      }
    });

    it(`${f}: the plain-C package builds with CMake and links`, async () => {
      const pkg = packageC("c", files, "kws");
      const app = new Map<string, string>([...[...pkg].map(([k, v]) => [`kws/${k}`, v] as [string, string])]);
      app.set(
        "CMakeLists.txt",
        ["cmake_minimum_required(VERSION 3.13)", "project(app C)", "add_subdirectory(kws)", "add_executable(app main.c)", "target_link_libraries(app PRIVATE kws_float)", ""].join("\n"),
      );
      app.set(
        "main.c",
        [
          "#include <stdio.h>",
          '#include "kws.h"',
          '#include "kws_float.h"',
          "static kws_state_t s;",
          "int main(void) {",
          "  float x[KWS_INPUT_SIZE] = {0.5f};",
          "  kws_input_t q[3 * KWS_INPUT_SIZE];",
          "  kws_output_t y[3 * KWS_OUTPUT_SIZE];",
          "  kws_quantize_input(x, q); kws_quantize_input(x, q + KWS_INPUT_SIZE); kws_quantize_input(x, q + 2 * KWS_INPUT_SIZE);",
          "  kws_reset(&s);",
          "  if (kws_run(&s, q, 3, y) != KWS_OK) return 1;",
          '  printf("ok\\n");',
          "  return 0;",
          "}",
          "",
        ].join("\n"),
      );
      await inTempDir(app, async (dir) => {
        await mustRun("cmake", ["-S", ".", "-B", "build", "-G", "Ninja", "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"], dir, { allowStderr: true });
        await mustRun("cmake", ["--build", "build"], dir, { allowStderr: true });
        expect(await mustRun("./build/app", [], dir)).toBe("ok\n");
      });
    }, 120_000);

    it(`${f}: the Arduino example sketch compiles`, async () => {
      const ard = packageC("arduino", files, "kws");
      const all = new Map([...ard, ["stub/Arduino.h", ARDUINO_STUB]]);
      const ino = ard.get("examples/kws_stream/kws_stream.ino")!;
      all.set("sketch.cpp", `#include <Arduino.h>\n${ino}`);
      await inTempDir(all, async (dir) => {
        await mustRun("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-c", "src/kws.c", "src/kws_float.c"], dir);
        await mustRun("g++", ["-std=c++11", "-Wall", "-Wextra", "-Werror", "-Istub", "-Isrc", "-c", "sketch.cpp"], dir);
        await mustRun("g++", ["-o", "sketch.o.elf", "-r", "sketch.o", "kws.o", "kws_float.o"], dir);
      });
    }, 60_000);
  }
});

describe.concurrent("docs/generated-c-api.md", () => {
  const doc = readFileSync(join(import.meta.dirname, "..", "docs", "generated-c-api.md"), "utf8");
  const example = (tag: string): string => {
    const m = new RegExp("```c\\n/\\* example: " + tag + " \\*/\\n([\\s\\S]*?)```").exec(doc);
    if (!m) throw new Error(`no '${tag}' example in the doc`);
    return m[1]!;
  };
  const cases = [
    {
      tag: "streaming",
      fixture: "wide_range" as const,
      main: "int main(void) { float f[KWS_INPUT_SIZE] = {1.0f}; float s[KWS_OUTPUT_SIZE]; start(); on_frame(f, s); on_frame(f, s); return s[0] >= 0.0f && s[0] <= 1.0f ? 0 : 1; }",
    },
    {
      tag: "whole sequence",
      fixture: "bidir" as const,
      main: "int main(void) { kws_input_t x[4 * KWS_INPUT_SIZE] = {100}; kws_output_t y[KWS_OUTPUT_SIZE]; return classify(x, 4, y) == 0 && classify(x, KWS_MAX_STEPS + 1, y) == -1 ? 0 : 1; }",
    },
  ];
  for (const c of cases) {
    it(`the '${c.tag}' example compiles (strict C99) and runs against a generated model`, async () => {
      const files = emitC(loadFixture(c.fixture).qm, { ...OPTS, name: "kws", maxSteps: 50 });
      const all = new Map([...files, ["example.c", `${example(c.tag)}\n${c.main}\n`]]);
      await inTempDir(all, async (dir) => {
        await mustRun("gcc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-o", "example", "example.c", "kws.c", "kws_float.c"], dir);
        await mustRun("./example", [], dir);
      });
    }, 60_000);
  }
});

describe.concurrent("<name>_float.c", () => {
  it("kws_quantize_input agrees exactly with lstm-gen's quantizeInput (ties, saturation, NaN, infinities)", async () => {
    const { qm } = loadFixture("wide_range");
    const I = qm.input.size;
    const rand = rng(99);
    const vals: number[] = [];
    for (let k = 0; k < 400 * I; k++) {
      const f = k % I;
      const s = qm.input.scale[f]!;
      const kind = k % 7;
      // Exact ties (n + 0.5) * scale, values near them, far beyond the range, and plain random ones.
      const n = Math.round((rand() * 2 - 1) * 40000);
      const v = kind === 0 ? (n + 0.5) * s : kind === 1 ? (n - 0.5) * s : kind === 2 ? n * s * (1 + (rand() - 0.5) * 1e-7) : kind === 3 ? (rand() * 2 - 1) * 1e6 : (rand() * 2 - 1) * s * 33000;
      vals.push(Math.fround(v));
    }
    vals.splice(0, 6 * I, ...Array.from({ length: 6 * I }, (_, k) => [NaN, Infinity, -Infinity, 0, -0, 1e-45][Math.floor(k / I)]!));
    const want = quantizeInput(qm, Float64Array.from(vals));
    const bits = new Uint32Array(Float32Array.from(vals).buffer);
    const main = [
      "#include <stdio.h>",
      "#include <string.h>",
      '#include "kws_float.h"',
      `static const unsigned long bits[${bits.length}] = {${Array.from(bits).join("ul, ")}ul};`,
      "int main(void) {",
      `  float x[KWS_INPUT_SIZE]; kws_input_t q[KWS_INPUT_SIZE]; size_t t, k;`,
      `  for (t = 0; t < ${bits.length / I}; ++t) {`,
      "    for (k = 0; k < KWS_INPUT_SIZE; ++k) { unsigned int b = (unsigned int)bits[t * KWS_INPUT_SIZE + k]; memcpy(&x[k], &b, 4); }",
      "    kws_quantize_input(x, q);",
      '    for (k = 0; k < KWS_INPUT_SIZE; ++k) printf("%d\\n", (int)q[k]);',
      "  }",
      "  return 0;",
      "}",
      "",
    ].join("\n");
    const files = new Map([...emitC(qm, { ...OPTS, name: "kws" }), ["main.c", main]]);
    await inTempDir(files, async (dir) => {
      await mustRun("gcc", ["-std=c99", "-O2", "-o", "q", "main.c", "kws_float.c"], dir);
      const got = (await mustRun("./q", [], dir)).trim().split("\n").map(Number);
      const bad = got.map((g, k) => (g === want[k] ? "" : `[${k}] x=${vals[k]} C ${g} golden ${want[k]}`)).filter((s) => s);
      expect(bad.slice(0, 20)).toEqual([]);
      expect(got.length).toBe(want.length);
    });
  }, 60_000);
});
