// Debian's Chromium for the browser test and the benchmark: where it is, and the flags that work
// headless as root here (a fresh profile per launch; no network beyond 127.0.0.1).
import { existsSync } from 'node:fs';

const COMMON = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions'];

/** Flags per mode: `cpu` (no GPU) and `webgpu` (WebGPU on the SwiftShader software adapter). */
export const CHROMIUM_FLAGS = {
  cpu: [...COMMON, '--disable-gpu'],
  webgpu: [...COMMON, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
    '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'],
};

/** Where Chromium is looked for, in order: only $KGAN_CHROMIUM when it is set. */
export const CHROMIUM_CANDIDATES = process.env.KGAN_CHROMIUM
  ? [process.env.KGAN_CHROMIUM]
  : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** @returns {string | undefined} The first Chromium found. */
export function findChromium() {
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}
