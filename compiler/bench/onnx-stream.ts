/**
 * A streaming form of an ONNX model, for timing onnxruntime one step at a time: onnxruntime keeps no state between
 * runs, so a stream passes each LSTM's state out and back in. Every LSTM node gets graph inputs for its initial_h
 * and initial_c (replacing whatever the exporter wired there, typically zeros built from the input's shape) and
 * its Y_h and Y_c become graph outputs. The rest of the graph is unchanged, so a one-frame run of the streaming
 * form does what one step of a stateful runtime does.
 *
 * Only for models whose LSTMs all run forward (reverse and bidirectional layers need the whole sequence).
 */
import onnxPkg from "onnx-proto";
import type { onnx as ox } from "onnx-proto";

const { onnx } = onnxPkg;

export interface StreamState {
  /** Graph input that takes the state in (initial_h / initial_c). */
  readonly hIn: string;
  readonly cIn: string;
  /** Graph output that gives the state after the run (Y_h / Y_c). */
  readonly hOut: string;
  readonly cOut: string;
  /** [1, 1, H] (the same for layout 0 and 1 with one direction and one sequence). */
  readonly dims: readonly number[];
}

export interface StreamingOnnx {
  readonly bytes: Uint8Array;
  readonly states: readonly StreamState[];
}

function attrInt(n: ox.INodeProto, name: string): number | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  if (!a || a.i === undefined || a.i === null) return undefined;
  return Number(a.i);
}

function attrString(n: ox.INodeProto, name: string): string | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

/** The streaming form of `bytes`, or undefined when the model has a non-forward LSTM or no LSTM. */
export function streamingOnnx(bytes: Uint8Array): StreamingOnnx | undefined {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph?.node) return undefined;
  const lstms = graph.node.filter((n) => n.opType === "LSTM");
  if (lstms.length === 0) return undefined;
  const states: StreamState[] = [];
  for (const [k, n] of lstms.entries()) {
    const dir = attrString(n, "direction") ?? "forward";
    const H = attrInt(n, "hidden_size");
    if (dir !== "forward" || H === undefined) return undefined;
    const input = [...(n.input ?? [])];
    while (input.length < 7) input.push("");
    const hIn = `lstmgen_stream_h${k}`;
    const cIn = `lstmgen_stream_c${k}`;
    input[5] = hIn;
    input[6] = cIn;
    n.input = input;
    const output = [...(n.output ?? [])];
    while (output.length < 3) output.push("");
    if (!output[1]) output[1] = `lstmgen_stream_yh${k}`;
    if (!output[2]) output[2] = `lstmgen_stream_yc${k}`;
    n.output = output;
    const dims = [1, 1, H];
    const vi = (name: string): ox.IValueInfoProto => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    graph.input = [...(graph.input ?? []), vi(hIn), vi(cIn)];
    const outs = graph.output ?? [];
    graph.output = [...outs, ...[output[1], output[2]].filter((o) => !outs.some((x) => x.name === o)).map((o) => vi(o!))];
    states.push({ hIn, cIn, hOut: output[1]!, cOut: output[2]!, dims });
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), states };
}
