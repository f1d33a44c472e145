/**
 * The long fuzz run (`npm run fuzz`), kept out of `npm test`: 10,000 cases by default.
 *   FUZZ_CASES=50000 FUZZ_SEED=7 npx vitest run --config test/fuzz/vitest.fuzz.config.ts
 *   FUZZ_ONLY=123456,789 FUZZ_KEEP=1 npx vitest run --config test/fuzz/vitest.fuzz.config.ts   (reproduce cases)
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/fuzz/fuzz.long.ts"],
    testTimeout: 0,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
