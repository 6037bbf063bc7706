// Inference speed of a kgan generator in every runtime, side by side: kgan-runtime in Python,
// onnxruntime-node, onnxruntime-web's wasm backend in Node (1 and 2 threads) and in headless Chromium
// (1 thread; threads when the page is cross-origin isolated; WebGPU on the software adapter,
// SwiftShader, which says nothing about real GPUs). Load time and median latency at batch 1 and
// 64 of the 28x28x1 DCGAN generator of scripts/bench_inference.py.
//
// Run from export/js after `npm ci` (Debian's Chromium for the browser rows):
//   node bench/bench.mjs [--repeats 30] [--python ../../.venv/bin/python]
// Writes bench/results/bench-<date>.json and prints a Markdown table.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ortWeb from 'onnxruntime-web';
import { KganGenerator, loadGenerator, sampleLatents } from '../src/node.js';
import { CHROMIUM_FLAGS, findChromium } from '../tests/helpers/chromium.js';
import { serveFolder } from '../tests/helpers/server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '30' },
    python: { type: 'string', default: path.resolve(HERE, '../../../.venv/bin/python') },
    chromium: { type: 'string', default: findChromium() ?? '/usr/bin/chromium' },
    row: { type: 'string' }, // internal: time one Node row in this process and print JSON
  },
});
const repeats = Number(args.repeats);
const out = path.join(HERE, 'results');
const model = path.join(out, 'export', 'generator.onnx');
if (!existsSync(model)) {
  mkdirSync(out, { recursive: true });
  console.error('exporting the benchmark generator...');
  execFileSync(args.python, [path.join(HERE, 'bench_python.py'), 'make', out], { stdio: 'inherit' });
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Record the median and the best of `times` as `row[key]` and `row[key + '_best']`. */
function record(/** @type {Record<string, any>} */ row, /** @type {string} */ key, /** @type {number[]} */ times) {
  row[key] = median(times);
  row[`${key}_best`] = Math.min(...times);
}

/** Load time and median latencies of a KganGenerator factory. */
async function timeJs(/** @type {() => Promise<KganGenerator>} */ load) {
  const started = performance.now();
  const gen = await load();
  const row = { load_ms: performance.now() - started };
  for (const batch of [1, 64]) {
    const z = sampleLatents(batch, gen.latentDim, 0);
    await gen.run(z);
    const times = [];
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      await gen.run(z);
      times.push(performance.now() - t);
    }
    record(row, `batch${batch}_ms`, times);
  }
  await gen.release();
  return row;
}

/** Timings of the web page in Chromium: load (fetch + session) and render() latencies. */
async function timeBrowser(/** @type {string} */ backend, /** @type {boolean} */ isolated) {
  const { default: puppeteer } = await import('puppeteer-core');
  const flags = CHROMIUM_FLAGS[backend === 'webgpu' ? 'webgpu' : 'cpu'];
  const profile = mkdtempSync(path.join(os.tmpdir(), 'kgan-bench-'));
  const browser = await puppeteer.launch({ executablePath: args.chromium, headless: true, args: flags, userDataDir: profile, protocolTimeout: 600_000 });
  const server = await serveFolder(path.join(out, 'web'), { isolated });
  try {
    const row = {};
    for (const batch of [1, 64]) {
      const page = await browser.newPage();
      await page.goto(`${server.url}?seed=0&n=${batch}&backend=${backend}`);
      const first = await page.evaluate(() => /** @type {any} */ (globalThis).kganPage.ready);
      row.load_ms ??= await page.evaluate(() => /** @type {any} */ (globalThis).kganPage.loadMs);
      row.backend = first.backend;
      const times = [];
      // The software WebGPU adapter is slow: fewer calls there.
      for (let i = 0; i < (backend === 'webgpu' ? Math.min(repeats, 5) : repeats); i++) {
        times.push((await page.evaluate(() => /** @type {any} */ (globalThis).kganPage.render())).ms);
      }
      record(row, `batch${batch}_ms`, times);
      await page.close();
    }
    return row;
  } finally {
    await browser.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const NODE_ROWS = {
  'Node, onnxruntime-node': () => loadGenerator(model),
  'Node, onnxruntime-web wasm, 1 thread': () => {
    ortWeb.env.wasm.numThreads = 1;
    return KganGenerator.load(readFileSync(model), { ort: ortWeb, executionProviders: ['wasm'] });
  },
  'Node, onnxruntime-web wasm, 2 threads': () => {
    ortWeb.env.wasm.numThreads = 2;
    return KganGenerator.load(readFileSync(model), { ort: ortWeb, executionProviders: ['wasm'] });
  },
};
if (args.row) {
  console.log(JSON.stringify(await timeJs(NODE_ROWS[/** @type {keyof NODE_ROWS} */ (args.row)])));
  process.exit(0);
}

// Each row in a fresh process: one runtime's idle threads must not slow another's.
const loadBefore = os.loadavg();
const rows = {};
rows['Python kgan-runtime (onnxruntime)'] = JSON.parse(
  execFileSync(args.python, [path.join(HERE, 'bench_python.py'), 'time', model, '--repeats', String(repeats)], { encoding: 'utf8' }),
);
for (const name of Object.keys(NODE_ROWS)) {
  const output = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--row', name, '--repeats', String(repeats)], { encoding: 'utf8' });
  rows[name] = JSON.parse(output.trim().split('\n').pop() ?? '{}');
}
if (existsSync(args.chromium)) {
  rows['Chromium, wasm, 1 thread'] = await timeBrowser('wasm', false);
  rows['Chromium, wasm, threads (cross-origin isolated)'] = await timeBrowser('wasm', true);
  rows['Chromium, WebGPU on SwiftShader (software)'] = await timeBrowser('webgpu', false);
} else {
  console.error(`no Chromium at ${args.chromium}: browser rows not measured`);
}

const meta = {
  date: new Date().toISOString(),
  cpus: `${os.cpus().length} x ${os.cpus()[0]?.model}`,
  // 1-minute load average before and after the run (a busy machine slows every row).
  loadavg: `${loadBefore[0].toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`,
  node: process.version,
  repeats,
  ort: { node: JSON.parse(readFileSync(path.join(HERE, '../node_modules/onnxruntime-node/package.json'), 'utf8')).version,
    web: JSON.parse(readFileSync(path.join(HERE, '../node_modules/onnxruntime-web/package.json'), 'utf8')).version },
};
const file = path.join(out, `bench-${meta.date.slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify({ meta, rows }, null, 2));
const fmt = (/** @type {number | undefined} */ x) => (x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
console.log(`\n${meta.date}, ${meta.cpus}, load average ${meta.loadavg} (${os.cpus().length} CPUs); median (best) of ${repeats} calls\n`);
console.log('| runtime | load (ms) | batch 1 (ms) | batch 64 (ms) | backend reported |');
console.log('|---|---|---|---|---|');
for (const [name, r] of Object.entries(rows)) {
  const cell = (/** @type {string} */ k) => `${fmt(r[k])} (${fmt(r[`${k}_best`])})`;
  console.log(`| ${name} | ${fmt(r.load_ms)} | ${cell('batch1_ms')} | ${cell('batch64_ms')} | ${r.backend ?? ''} |`);
}
console.log(`\nwritten to ${file}`);
