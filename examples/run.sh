#!/bin/sh
# The main job on the bundled PyTorch-trained model (examples/sine: an LSTM(1→32) + Linear that predicts the next
# sample of a sine wave): inspect it, run it, verify the integer model against the float one, and compile it to C
# and WebAssembly. Outputs go to out/ (git-ignored).
set -eu
cd "$(dirname "$0")/.."
lstm_gen="node bin/lstm-gen.js"
model=examples/sine/model.onnx
# Outputs of lstm-gen versions before the .lstm-gen marker (compile refuses to replace unmarked directories).
for d in out/sine-c out/sine-wasm; do [ -e "$d/.lstm-gen" ] || rm -rf "$d"; done
set -x
$lstm_gen inspect $model
$lstm_gen run $model --input examples/sine/input.csv
$lstm_gen verify $model --data examples/sine/input.csv --calibrate examples/sine/calib.npy --report out/sine-verify.html
$lstm_gen compile $model --target c --out out/sine-c --name sine --calibrate examples/sine/calib.npy
$lstm_gen compile $model --target wasm --out out/sine-wasm --name sine --calibrate examples/sine/calib.npy
$lstm_gen run $model --input examples/sine/input.csv --engine c --calibrate examples/sine/calib.npy
