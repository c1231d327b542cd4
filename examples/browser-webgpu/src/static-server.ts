// A static file server on loopback for the built page: what the end-to-end test and the browser bench serve.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};

/**
 * The headers that make a page cross-origin isolated (`crossOriginIsolated` true), which browsers require
 * before they give a page SharedArrayBuffer, and so tfjs-backend-wasm its threads.
 */
export const CROSS_ORIGIN_ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;

export interface StaticServer {
  server: Server;
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 at a free port; with `crossOriginIsolated`, every answer carries COOP and COEP. */
export async function serveDirectory(
  root: string,
  { crossOriginIsolated = false } = {},
): Promise<StaticServer> {
  const base = resolve(root);
  const extra = crossOriginIsolated ? CROSS_ORIGIN_ISOLATION : {};
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = resolve(base, `.${path === '/' ? '/index.html' : decodeURIComponent(path)}`);
    if (!file.startsWith(base + sep)) {
      response.writeHead(403, extra).end();
      return;
    }
    try {
      const body = await readFile(file);
      const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
      response.writeHead(200, { 'content-type': type, ...extra });
      response.end(body);
    } catch {
      response.writeHead(404, extra).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
