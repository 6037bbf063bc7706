// Latency of one kgan generator in one JavaScript runtime, for scripts/bench_inference.py
// --runtimes (which runs each backend in a fresh process and prints the table).
//
//   node bench/latency.mjs MODEL.onnx --backend node|wasm1|wasm2 --batches 1,64,256 --repeats 20
//
// Prints one JSON line: {"load_ms": ..., "batches": {"1": {"median_ms": ..., "best_ms": ...}}}.
// Batches of 64 and more are timed max(3, repeats / 5) times (wasm at 64x64 is slow).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KganGenerator, loadGenerator, sampleLatents } from '../src/node.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    backend: { type: 'string', default: 'node' },
    batches: { type: 'string', default: '1,64,256' },
    repeats: { type: 'string', default: '20' },
  },
});
const model = positionals[0];
const repeats = Number(args.repeats);

async function load() {
  if (args.backend === 'node') return loadGenerator(model);
  const threads = { wasm1: 1, wasm2: 2 }[/** @type {'wasm1' | 'wasm2'} */ (args.backend)];
  if (threads === undefined) throw new Error(`unknown --backend ${args.backend}`);
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  return KganGenerator.load(readFileSync(model), { ort, executionProviders: ['wasm'] });
}

const started = performance.now();
const gen = await load();
/** @type {{load_ms: number, batches: Record<string, {median_ms: number, best_ms: number}>}} */
const result = { load_ms: performance.now() - started, batches: {} };
for (const batch of args.batches.split(',').map(Number)) {
  const z = sampleLatents(batch, gen.latentDim, 0);
  await gen.run(z); // warm-up
  const times = [];
  const n = batch >= 64 ? Math.max(3, Math.floor(repeats / 5)) : repeats;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await gen.run(z);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  result.batches[batch] = { median_ms: times[Math.floor(times.length / 2)], best_ms: times[0] };
}
await gen.release();
console.log(JSON.stringify(result));
process.exit(0);
