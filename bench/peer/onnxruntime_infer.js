// Inference images/s of an ONNX file in ONNX Runtime (onnxruntime-node's CPU
// library from tools/onnxruntime, its default session options and threads),
// for bench/onnx-runtime-vs-libtorch. Times whole session.run calls on one
// random batch, after untimed warm-up runs, like `trainbench bench --mode infer`.
//
// Usage: node onnxruntime_infer.js MODEL.onnx --batch N --img-size S
//            [--warmup 10] [--steps 30] [--repetitions 3]
// Prints one JSON object: images_per_sec (median of the repetitions), samples.
'use strict';
const path = require('path');
const { createRequire } = require('module');

const ort = createRequire(path.join(__dirname, '..', '..', 'tools', 'onnxruntime', 'package.json'))('onnxruntime-node');

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function main() {
  const args = process.argv.slice(2);
  const model = args[0];
  const batch = option(args, '--batch', 32);
  const size = option(args, '--img-size', 224);
  const warmup = option(args, '--warmup', 10);
  const steps = option(args, '--steps', 30);
  const repetitions = option(args, '--repetitions', 3);
  const session = await ort.InferenceSession.create(model);
  const data = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < data.length; ++i) data[i] = Math.random() * 4 - 2;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, size, size]) };
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const samples = [];
  for (let r = 0; r < repetitions; ++r) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < steps; ++i) await session.run(feeds);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    samples.push((batch * steps) / seconds);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  console.log(JSON.stringify({ images_per_sec: sorted[Math.floor(sorted.length / 2)], samples, batch, image_size: size,
                               onnxruntime: ort.env.versions }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
