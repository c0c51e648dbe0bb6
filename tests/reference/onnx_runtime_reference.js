// Runs ONNX models in ONNX Runtime (the npm package onnxruntime-node, its CPU
// library, installed in tools/onnxruntime by scripts/setup test) for the
// export tests: tests/deploy/onnx_export_test.cpp writes the inputs, this
// script runs each model on them and writes what came out.
//
// Usage: node onnx_runtime_reference.js JOBS.json RESULTS.json
// JOBS.json: [{"model": "m.onnx", "input": "x.bin", "dtype": "float32" |
//   "float16" | "uint8", "shape": [8, 3, 32, 32]}, ...]; x.bin holds the input
// tensor's raw little-endian bytes.
// RESULTS.json: one entry per job, in order: {"shape": [...], "values": [...]}
// (float16 outputs widened to float) or {"error": "..."}.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const runtimeHome = path.join(__dirname, '..', '..', 'tools', 'onnxruntime', 'package.json');
const ort = createRequire(runtimeHome)('onnxruntime-node');

function halfToFloat(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function inputTensor(job) {
  const bytes = fs.readFileSync(job.input);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data = {
    float32: () => new Float32Array(buffer),
    float16: () => new Uint16Array(buffer),
    uint8: () => new Uint8Array(buffer),
  }[job.dtype];
  if (!data) throw new Error(`unknown dtype ${job.dtype}`);
  return new ort.Tensor(job.dtype, data(), job.shape);
}

async function run(job) {
  const session = await ort.InferenceSession.create(job.model);
  const feeds = { [session.inputNames[0]]: inputTensor(job) };
  const outputs = await session.run(feeds);
  const output = outputs[session.outputNames[0]];
  const values = output.type === 'float16' && output.data instanceof Uint16Array
    ? Array.from(output.data, halfToFloat) : Array.from(output.data, Number);
  return { shape: output.dims, values, input_names: session.inputNames, output_names: session.outputNames };
}

async function main() {
  const [jobsFile, resultsFile] = process.argv.slice(2);
  const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
  const results = [];
  for (const job of jobs) {
    try {
      results.push(await run(job));
    } catch (error) {
      results.push({ error: String(error && error.message ? error.message : error) });
    }
  }
  fs.writeFileSync(resultsFile, JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
