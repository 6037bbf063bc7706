// A tiny static file server for the browser tests: 127.0.0.1 only, an ephemeral port, optional
// COOP/COEP headers (cross-origin isolation, which wasm threads need).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream', '.txt': 'text/plain', '.py': 'text/plain',
};

/**
 * Serve `root` on 127.0.0.1.
 * @param {string} root
 * @param {{isolated?: boolean, hide?: string[]}} [options] `hide`: paths answered with 404.
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function serveFolder(root, { isolated = false, hide = [] } = {}) {
  const base = path.resolve(root);
  const server = createServer(async (req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(base, name.endsWith('/') ? `${name}index.html` : name);
    const headers = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
      : {};
    try {
      if (hide.includes(name) || !file.startsWith(base) || !(await stat(file)).isFile()) throw new Error('not found');
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[/** @type {keyof TYPES} */ (path.extname(file))] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
