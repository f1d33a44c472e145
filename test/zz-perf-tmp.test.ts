import { it } from "vitest";
import { countInstructions } from "../targets/c/bench.js";
import { perfModel, PERF_SIZES } from "../test/helpers/c-perf.js";
it("perf", async () => {
  const mcus = (process.env.MCUS ?? "cortex-m4,cortex-m0,rv32imc").split(",") as any[];
  const out: string[] = [];
  await Promise.all(PERF_SIZES.map(async ([i, h]) => {
    const { qm, seq } = perfModel(i, h);
    const r: string[] = [];
    for (const m of mcus) r.push(`${m} ${Math.round((await countInstructions(qm, seq, m)).perStep)}`);
    out.push(`(${i},${h}) ${r.join(" | ")}`);
  }));
  console.log(out.sort().join("\n"));
}, 600000);
