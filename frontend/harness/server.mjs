// A static file server on 127.0.0.1 for the browser harness (no network beyond loopback), which may
// also hand some paths to another loopback server (the Grafana-less host's /api/*).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/**
 * Forwards `request` to the same path on `target` (an http://127.0.0.1:PORT origin) and streams
 * the answer back; so the page's relative `/api/...` calls reach the host as they reach Grafana.
 * A request the page abandons is abandoned upstream as well.
 */
function forward(request, response, target) {
  const upstream = http.request(new URL(request.url, target), { method: request.method, headers: request.headers }, (answer) => {
    response.writeHead(answer.statusCode, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', (error) => {
    if (!response.headersSent && !response.destroyed) {
      response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `host: ${error.message}` }));
    }
  });
  // The page dropped the request (a stopped query): drop the upstream one too, as Grafana's server
  // does, so the host cancels the plugin's call.
  response.on('close', () => {
    if (!response.writableFinished) {
      upstream.destroy();
    }
  });
  request.pipe(upstream);
}

/**
 * Serves `root`, plus each `mounts` prefix from its own folder (e.g. Grafana's icon URLs); requests
 * under a `proxies` prefix go to that origin instead.
 */
export async function startStaticServer(root, mounts = {}, proxies = {}) {
  const resolve = (urlPath) => {
    for (const [prefix, folder] of Object.entries(mounts)) {
      if (urlPath.startsWith(prefix)) {
        return path.join(folder, urlPath.slice(prefix.length));
      }
    }
    return path.join(root, urlPath === '/' ? 'index.html' : urlPath);
  };
  const server = http.createServer(async (request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url, 'http://127.0.0.1').pathname);
    const proxy = Object.keys(proxies).find((prefix) => urlPath.startsWith(prefix));
    if (proxy) {
      forward(request, response, proxies[proxy]);
      return;
    }
    const file = resolve(path.posix.normalize(urlPath));
    try {
      if (!(await stat(file)).isFile()) {
        throw new Error('not a file');
      }
      response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) };
}
