import { expect, it } from "vitest";
import { runGolden } from "../compiler/golden/golden.js";
import { runCEngine } from "../targets/c/engine.js";
import { intSequences, synthModel } from "./helpers/c-models.js";
import { SYNTH_SPECS } from "./helpers/c-synth-specs.js";

for (const spec of SYNTH_SPECS) {
  it(`scratch ${spec.name}`, async () => {
    const { qm } = synthModel(spec);
    const acc64 = [...qm.layers.flatMap((l) => l.cells.flatMap((c) => Object.values(c.gates).flatMap((g) => [g.W, g.R]))), ...(qm.head?.layers ?? []).map((d) => d.W)].filter((m) => m.accBits === 64).length;
    console.log(spec.name, "acc64 matrices", acc64, "layers", qm.layers.map((l) => `${l.direction} c${l.cellBits}/${l.cFrac} g${l.gFrac} h${l.hFrac}`).join(" "));
    const seqs = [...intSequences(qm, 4, 9, spec.seed), ...intSequences(qm, 4, 7, spec.seed + 1, true)];
    const outs = await runCEngine(qm, seqs, "c", { sanitize: true });
    seqs.forEach((s, k) => {
      const g = runGolden(qm, s.xq, s.steps).output;
      expect(Array.from(outs[k]!), `seq ${k}`).toEqual(Array.from(g));
    });
  }, 60000);
}
