/**
 * A watchdog for cases that run in-process: a worker thread that notices when the main thread has been inside
 * one case for too long. A case stuck in a synchronous loop blocks the main thread's timers, so only another
 * thread can notice; it then writes the case (seed and mutations) to stderr and to a file, and kills the
 * process, so that a hang is reported with what reproduces it instead of stalling the run.
 */
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
let current;
parentPort.on("message", (m) => {
  current = m.type === "begin" ? { desc: m.desc, at: Date.now() } : undefined;
});
setInterval(() => {
  if (!current || Date.now() - current.at < workerData.killMs) return;
  const text = "\\nfuzz watchdog: a case ran for more than " + workerData.killMs + " ms (a hang); killing the process\\n" + current.desc + "\\n";
  try { fs.writeSync(2, text); } catch {}
  try { fs.writeFileSync(workerData.reportFile, text); } catch {}
  process.kill(process.pid, "SIGKILL");
}, 100);
`;

export interface Watchdog {
  begin(desc: string): void;
  end(): void;
  stop(): Promise<void>;
}

export function startWatchdog(killMs: number, reportFile: string): Watchdog {
  const worker = new Worker(WORKER, { eval: true, workerData: { killMs, reportFile } });
  worker.unref();
  return {
    begin: (desc) => worker.postMessage({ type: "begin", desc }),
    end: () => worker.postMessage({ type: "end" }),
    stop: async () => {
      await worker.terminate();
    },
  };
}
