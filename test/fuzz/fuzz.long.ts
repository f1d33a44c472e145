/**
 * The long fuzz run. Environment:
 *   FUZZ_CASES    number of cases (default 10000)
 *   FUZZ_SEED     run seed (default 1); case k uses caseSeed(FUZZ_SEED, k)
 *   FUZZ_ONLY     comma-separated case seeds to run instead (reproducing a failure)
 *   FUZZ_HANG_MS  a case slower than this fails as a hang (default 5000)
 *   FUZZ_KEEP     1: keep the case files and print where they are
 *   FUZZ_VERBOSE  1: print every case and its outcome
 */
import { expect, it } from "vitest";
import { describeCase, formatSummary, fuzz, type CaseResult, type FuzzCase } from "./harness.js";

const env = process.env;
const cases = Number(env.FUZZ_CASES ?? 10_000);
const runSeed = Number(env.FUZZ_SEED ?? 1);
const only = env.FUZZ_ONLY ? env.FUZZ_ONLY.split(",").map((s) => Number(s.trim())) : undefined;
const hangMs = Number(env.FUZZ_HANG_MS ?? 5000);
const keep = env.FUZZ_KEEP === "1";
const verbose = env.FUZZ_VERBOSE === "1";

it(`fuzz: ${only ? `cases ${only.join(", ")}` : `${cases} cases, seed ${runSeed}`}`, async () => {
  const s = await fuzz({
    cases,
    runSeed,
    hangMs,
    keep,
    ...(only ? { only } : {}),
    ...(verbose ? { onCase: (c: FuzzCase, r: CaseResult) => void process.stdout.write(`${r.verdict} ${Math.round(r.ms)}ms ${describeCase(c).slice(0, 300)}\n    ${r.stderr.trim().slice(0, 300)}\n`) } : {}),
    onProgress: (done, p) => {
      if (done % 1000 === 0) process.stderr.write(`fuzz: ${done}/${cases} cases, ${p.failures.length} failures, ${p.seconds.toFixed(0)} s\n`);
    },
  });
  process.stdout.write(`${formatSummary(s, runSeed)}\n`);
  expect(s.failures.map((f) => `seed ${f.c.seed}: ${f.r.reason}`)).toEqual([]);
});
