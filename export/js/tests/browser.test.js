// The web page (made by kgan_runtime.web.write_web_folder) in headless Chromium, served from
// 127.0.0.1 with onnxruntime-web's files served locally: the canvas must show the Python
// runtime's grid for the same seed within one grey level, on wasm (one thread, and threads when
// cross-origin isolated) and on WebGPU through Chromium's software adapter (SwiftShader).
//
// Needs Debian's Chromium (apt-get install chromium) or KGAN_CHROMIUM=/path/to/chrome. Without
// it the test says so and is skipped, except under CI (CI=true), where it fails.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { array, fixturePath, manifest } from './helpers/fixtures.js';
import { CHROMIUM_CANDIDATES, CHROMIUM_FLAGS, findChromium } from './helpers/chromium.js';
import { serveFolder } from './helpers/server.js';

const chromium = findChromium();
const MODES = CHROMIUM_FLAGS;
const TIMEOUT = 120_000;

if (!chromium) {
  const why = `no Chromium at ${CHROMIUM_CANDIDATES.join(', ')} (install Debian's: apt-get install chromium; or set KGAN_CHROMIUM)`;
  if (process.env.CI) {
    test('browser test', () => assert.fail(`the browser test must run in CI, but there is ${why}`));
  } else {
    console.log(`\n*** kgan browser test NOT RUN: ${why}. ***\n`);
    test('browser test (not run: no Chromium)', { skip: why }, () => {});
  }
} else {
  /**
   * The page's grid canvas as grey levels (asserting R = G = B and opaque pixels).
   * @param {import('puppeteer-core').Page} page
   */
  async function canvasGrey(page, id = 'grid') {
    const { data, width, height } = await page.evaluate((canvasId) => {
      const c = /** @type {HTMLCanvasElement} */ (document.getElementById(canvasId));
      return { data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data), width: c.width, height: c.height };
    }, id);
    const grey = new Uint8Array(width * height);
    for (let p = 0; p < grey.length; p++) {
      assert.equal(data[4 * p + 3], 255);
      assert.ok(data[4 * p] === data[4 * p + 1] && data[4 * p] === data[4 * p + 2]);
      grey[p] = data[4 * p];
    }
    return { grey, width, height };
  }

  /** @param {Uint8Array} a @param {Uint8Array} b */
  function worstLevel(a, b) {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  }

  for (const [mode, args] of Object.entries(MODES)) {
    describe(`web page in headless Chromium (${mode} flags)`, { timeout: TIMEOUT * 3 }, () => {
      /** @type {import('puppeteer-core').Browser} */ let browser;
      /** @type {string} */ let profile;
      before(async () => {
        profile = mkdtempSync(path.join(os.tmpdir(), 'kgan-chromium-'));
        browser = await puppeteer.launch({ executablePath: chromium, headless: true, args, userDataDir: profile, protocolTimeout: TIMEOUT });
      });
      after(async () => {
        await browser?.close();
        rmSync(profile, { recursive: true, force: true });
      });

      /**
       * Open the page of `folder` and wait for its first render.
       * @param {string} folder
       * @param {string} query
       * @param {boolean} isolated
       */
      async function open(folder, query, isolated) {
        const server = await serveFolder(fixturePath(folder), { isolated });
        const page = await browser.newPage();
        const errors = /** @type {string[]} */ ([]);
        page.on('pageerror', (err) => errors.push(String(err)));
        const started = Date.now();
        await page.goto(`${server.url}?${query}`, { timeout: TIMEOUT });
        /** @type {any} */
        let result;
        try {
          result = await page.evaluate(() => /** @type {any} */ (globalThis).kganPage.ready);
        } catch (err) {
          const status = await page.evaluate(() => document.getElementById('status')?.textContent);
          throw new Error(`page failed: ${status} ${errors.join('; ')} (${/** @type {Error} */ (err).message})`);
        }
        return { page, server, result, seconds: (Date.now() - started) / 1000 };
      }

      const runs = mode === 'webgpu'
        ? [{ backend: 'webgpu', isolated: false, label: /^WebGPU$/ }]
        : [
          { backend: 'wasm', isolated: false, label: /^wasm, 1 thread \(page not cross-origin isolated\)$/ },
          { backend: 'wasm', isolated: true, label: /^wasm, [2-4] threads$/ },
        ];
      for (const run of runs) {
        test(`${run.backend}${run.isolated ? ' (cross-origin isolated)' : ''}: the canvas shows Python's grid for seed 0`, { timeout: TIMEOUT }, async () => {
          const info = manifest.models.dcgan;
          const { page, server, result, seconds } = await open(manifest.web.folder, `seed=${info.grid.seed}&n=${info.grid.n}&backend=${run.backend}`, run.isolated);
          try {
            assert.match(result.backend, run.label);
            const expected = array(info.grid.array);
            const { grey, width, height } = await canvasGrey(page);
            assert.deepEqual([height, width, 1], expected.dims);
            const worst = worstLevel(grey, expected.data);
            console.log(`# ${run.backend}${run.isolated ? ' isolated' : ''}: page ready in ${seconds.toFixed(1)} s, inference ${result.ms.toFixed(1)} ms, worst grey-level difference ${worst}`);
            assert.ok(worst <= 1, `the canvas differs from Python's grid by ${worst} grey levels on ${run.backend}`);
            // The interpolation animation renders frames of the generator's size.
            await page.evaluate(() => /** @type {any} */ (globalThis).kganPage.play());
            const movie = await canvasGrey(page, 'movie');
            assert.deepEqual([movie.width, movie.height], [8 + 2, 8 + 2]);
            assert.match(await page.evaluate(() => document.getElementById('movie-status')?.textContent ?? ''), /^48 frames \(slerp\) in [\d.]+ ms on /);
          } finally {
            await page.close();
            await server.close();
          }
        });
      }

      if (mode === 'cpu') {
        test('conditional uint8 generator: class picker, default labels match Python', { timeout: TIMEOUT }, async () => {
          const info = manifest.models.dcgan_cond_uint8;
          const { page, server } = await open(manifest.web_cond.folder, `seed=0&n=16`, false);
          try {
            const { grey } = await canvasGrey(page);
            assert.ok(worstLevel(grey, array(info.grid.array).data) <= 1);
            const options = await page.evaluate(() => Array.from(/** @type {HTMLSelectElement} */ (document.getElementById('label')).options, (o) => o.text));
            assert.deepEqual(options, ['every class in turn', 'class 0', 'class 1', 'class 2']);
            assert.equal(await page.evaluate(() => document.getElementById('class-picker')?.hidden), false);
          } finally {
            await page.close();
            await server.close();
          }
        });

        test('a page whose generator cannot be fetched says why', { timeout: TIMEOUT }, async () => {
          const server = await serveFolder(fixturePath(manifest.web.folder), { hide: ['/generator.onnx'] });
          const page = await browser.newPage();
          try {
            await page.goto(server.url, { timeout: TIMEOUT });
            await page.evaluate(() => /** @type {any} */ (globalThis).kganPage.ready.catch(() => {}));
            assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
            assert.match(await page.evaluate(() => document.getElementById('status')?.textContent ?? ''),
              /^Error: http:\/\/127\.0\.0\.1:\d+\/generator\.onnx: cannot fetch the model: HTTP 404/);
          } finally {
            await page.close();
            await server.close();
          }
        });
      }
    });
  }
}
