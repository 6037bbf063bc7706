// The page of a kgan web export: a grid for a seed, truncation, a class picker, an interpolation
// animation, the inference time and the backend that ran. Query parameters (also used by the
// tests): ?seed=0&n=16&psi=1&label=&backend=wasm|webgpu&threads=N
import * as ort from 'onnxruntime-web';
import {
  interpolate, KganGenerator, makeGrid, sampleLatents, toImageData, truncate,
} from './kgan-runtime/index.js';

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const params = new URLSearchParams(location.search);
let generator = null;
let backendLabel = '';
let movie = null;

/** @param {string} text */
function parseSeed(text) {
  const value = String(text).trim();
  if (!/^\d+$/.test(value)) throw new Error(`a seed is an integer >= 0; got ${JSON.stringify(value)}`);
  return BigInt(value);
}

function threadCount() {
  if (params.has('threads')) return Number(params.get('threads'));
  // Wasm threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages
  // (served with COOP/COEP headers); elsewhere onnxruntime-web runs on one thread.
  return globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
}

async function load(backend) {
  const started = performance.now();
  if (backend === 'webgpu' && !navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu)');
  ort.env.wasm.numThreads = threadCount();
  const previous = generator;
  generator = null;
  await previous?.release();
  generator = await KganGenerator.load(new URL('generator.onnx', location.href), {
    ort, executionProviders: [backend],
  });
  const threads = ort.env.wasm.numThreads;
  backendLabel = backend === 'webgpu'
    ? 'WebGPU'
    : `wasm, ${threads} thread${threads === 1 ? '' : 's'}${globalThis.crossOriginIsolated ? '' : ' (page not cross-origin isolated)'}`;
  kganPage.loadMs = performance.now() - started;
  const g = generator;
  const shape = g.outputShape.slice(1).join('x');
  $('about').textContent = `latent size ${g.latentDim}, samples ${shape} ${g.outputDtype}` +
    `${g.numClasses ? `, ${g.numClasses} classes` : ''}; loaded in ${(performance.now() - started).toFixed(0)} ms on ${backendLabel}.`;
  if (g.numClasses) {
    const picker = $('label');
    picker.length = 1;
    for (let k = 0; k < g.numClasses; k++) picker.add(new Option(`class ${k}`, String(k)));
    $('class-picker').hidden = false;
  }
  if (g.layout !== 'NHWC') throw new Error(`this page shows images; the generator makes ${g.layout} vectors`);
}

function labels() {
  const value = $('label').value;
  return generator.numClasses && value !== '' ? Number(value) : undefined;
}

/** Draw a grid of samples on a canvas; returns its size. */
function draw(canvas, samples) {
  const grid = makeGrid(samples, { valueRange: generator.valueRange });
  canvas.width = grid.width;
  canvas.height = grid.height;
  canvas.getContext('2d').putImageData(toImageData(grid), 0, 0);
  return grid;
}

async function render() {
  const seed = parseSeed($('seed').value);
  const n = Number($('count').value);
  const psi = Number($('psi').value);
  const z = truncate(sampleLatents(n, generator.latentDim, seed), psi);
  const started = performance.now();
  const samples = await generator.run(z, labels());
  const ms = performance.now() - started;
  const grid = draw($('grid'), samples);
  $('status').textContent = `${n} sample${n === 1 ? '' : 's'} of seed ${seed}, psi ${psi.toFixed(2)}: ` +
    `inference ${ms.toFixed(1)} ms on ${backendLabel}.`;
  return { ms, width: grid.width, height: grid.height, backend: backendLabel };
}

async function playInterpolation() {
  movie?.stop();
  const steps = Math.max(2, Math.min(240, Number($('frames').value) || 48));
  const z = truncate(interpolate(parseSeed($('seed-a').value), parseSeed($('seed-b').value), steps, generator.latentDim), Number($('psi').value));
  const started = performance.now();
  const frames = await generator.run(z, labels());
  const ms = performance.now() - started;
  const size = frames.data.length / steps;
  const canvas = $('movie');
  let frame = 0;
  let direction = 1;
  let running = true;
  const show = () => {
    if (!running) return;
    draw(canvas, { data: frames.data.subarray(frame * size, (frame + 1) * size), dims: [1, ...frames.dims.slice(1)] });
    if (frame + direction < 0 || frame + direction >= steps) direction = -direction;
    frame += direction;
    setTimeout(() => requestAnimationFrame(show), 1000 / 24);
  };
  movie = { stop: () => { running = false; } };
  show();
  $('movie-status').textContent = `${steps} frames (slerp) in ${ms.toFixed(1)} ms on ${backendLabel}.`;
}

async function guarded(task) {
  try {
    const result = await task();
    document.body.dataset.state = 'ready';
    return result;
  } catch (err) {
    document.body.dataset.state = 'error';
    $('status').textContent = `Error: ${err.message}`;
    throw err;
  }
}

async function main() {
  for (const [param, id] of [['seed', 'seed'], ['n', 'count'], ['psi', 'psi'], ['backend', 'backend']]) {
    if (params.has(param)) $(id).value = params.get(param);
  }
  $('psi-value').textContent = Number($('psi').value).toFixed(2);
  await load($('backend').value);
  if (params.has('label')) $('label').value = params.get('label');
  const rerender = () => guarded(render).catch(() => {});
  for (const id of ['seed', 'count', 'label']) $(id).addEventListener('change', rerender);
  $('psi').addEventListener('input', () => { $('psi-value').textContent = Number($('psi').value).toFixed(2); rerender(); });
  $('random-seed').addEventListener('click', () => { $('seed').value = String(Math.floor(Math.random() * 2 ** 32)); rerender(); });
  $('backend').addEventListener('change', () => guarded(async () => { await load($('backend').value); return render(); }).catch(() => {}));
  $('play').addEventListener('click', () => guarded(playInterpolation).catch(() => {}));
  return render();
}

// For scripts and tests: `ready` resolves with the first render's {ms, width, height, backend};
// `loadMs` is the time the last load took (fetch and onnxruntime session).
const kganPage = { ready: null, loadMs: NaN, render: () => guarded(render), play: () => guarded(playInterpolation) };
globalThis.kganPage = kganPage;
kganPage.ready = guarded(main);
