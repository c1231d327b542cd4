// A loopback HTTP server that answers like the Hugging Face Hub, so that the Hub client is tested end to end
// without the internet: resolve URLs, LFS files redirected to a "CDN" with X-Linked-Etag (their sha256) and
// X-Linked-Size, small files answered directly with their git blob id as ETag, X-Repo-Commit, Range requests,
// X-Error-Code on 404s, tokens, and faults on demand (a status for a file, a connection cut mid-file, corrupted
// bytes).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  /** Files by path in the repository; `.safetensors` files are served as LFS files. */
  files: Record<string, Uint8Array | string>;
  commit: string; // 40 hex digits
  /** Branches and tags, each naming the commit it points to (main → commit by default). */
  refs?: Record<string, string>;
  /** Answer 401 unless this token comes as a bearer token. */
  token?: string;
}

export interface HubRequest {
  method: string;
  url: string;
  range: string | null;
  authorization: string | null;
}

/** What the server should do wrong, for one file of a repository, until cleared. */
export type HubFault =
  | { kind: 'status'; status: number; errorCode?: string }
  | { kind: 'cut'; afterBytes: number } // GET sends this many bytes, then destroys the connection
  | { kind: 'corrupt' }; // GET sends the bytes with one flipped (the ETag still the original's)

export interface LoopbackHub {
  endpoint: string;
  requests: HubRequest[];
  repos: Map<string, HubRepo>;
  faults: Map<string, HubFault>; // key: `${repoId}/${path}`
  /** Renamed repositories: old id → new id, answered with a relative redirect as the Hub does. */
  moved: Map<string, string>;
  close(): Promise<void>;
}

const isLfs = (path: string) => path.endsWith('.safetensors');
const EXPOSED_HEADERS =
  'x-repo-commit, x-error-code, x-linked-etag, x-linked-size, etag, content-length, content-range, location';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export async function startLoopbackHub(repos: Record<string, HubRepo>): Promise<LoopbackHub> {
  const hub: Omit<LoopbackHub, 'endpoint' | 'close'> = {
    requests: [],
    repos: new Map(Object.entries(repos)),
    faults: new Map(),
    moved: new Map(),
  };
  // The Hub and its CDN on two hosts, as huggingface.co and its CDN are: the Hub at 127.0.0.1, the CDN at
  // localhost (listening on 127.0.0.1 and, where the machine has IPv6, ::1, whichever localhost resolves to).
  let cdnOrigin = '';
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    hub.requests.push({
      method: request.method ?? 'GET',
      url: request.url ?? '',
      range: request.headers.range ?? null,
      authorization: request.headers.authorization ?? null,
    });
    // CORS, as the Hub and its CDN answer browsers: any origin, the headers clients read exposed.
    response.setHeader('access-control-allow-origin', '*');
    response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS') {
      return end(response, 204, {
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'authorization, range, user-agent',
      });
    }
    answer(hub, cdnOrigin, request, response);
  };
  const listen = async (host: string, port = 0): Promise<Server | null> => {
    const server = createServer(handler);
    return new Promise((resolve) => {
      server.once('error', () => resolve(null));
      server.listen(port, host, () => resolve(server));
    });
  };
  const main = (await listen('127.0.0.1'))!;
  const cdn = (await listen('127.0.0.1'))!;
  const cdnPort = (cdn.address() as AddressInfo).port;
  const cdnIpv6 = await listen('::1', cdnPort);
  cdnOrigin = `http://localhost:${cdnPort}`;
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    ...hub,
    endpoint: `http://127.0.0.1:${(main.address() as AddressInfo).port}`,
    close: async () => {
      for (const server of [main, cdn, cdnIpv6]) if (server) await close(server);
    },
  };
}

function answer(
  hub: Omit<LoopbackHub, 'endpoint' | 'close'>,
  cdnOrigin: string,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const url = new URL(request.url ?? '/', 'http://hub');
  const cdn = /^\/cdn\/(.+?)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
  if (cdn)
    return serveBytes(hub, request, response, decodeURIComponent(cdn[1]!), decodeURIComponent(cdn[3]!));
  const resolve = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (!resolve) return end(response, 404, { 'x-error-code': 'RepoNotFound' });
  const [, repoId, revision, path] = resolve.map((part) => decodeURIComponent(part ?? '')) as [
    string,
    string,
    string,
    string,
  ];
  const movedTo = hub.moved.get(repoId);
  if (movedTo) {
    return end(response, 307, { location: `/${movedTo}/resolve/${encodeURIComponent(revision)}/${path}` });
  }
  const repo = hub.repos.get(repoId);
  if (!repo) return end(response, 401, { 'x-error-code': 'RepoNotFound' }); // as the Hub: unknown or private
  if (repo.token && request.headers.authorization !== `Bearer ${repo.token}`) {
    return end(response, 401, { 'x-error-code': 'GatedRepo' });
  }
  const fault = hub.faults.get(`${repoId}/${path}`);
  if (fault?.kind === 'status') {
    return end(response, fault.status, fault.errorCode ? { 'x-error-code': fault.errorCode } : {});
  }
  const commit = revision === repo.commit ? repo.commit : (repo.refs ?? { main: repo.commit })[revision];
  if (!commit) return end(response, 404, { 'x-error-code': 'RevisionNotFound' });
  const content = repo.files[path];
  if (content === undefined)
    return end(response, 404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit });
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  if (isLfs(path)) {
    // LFS: a redirect to the CDN, with the file's metadata on the redirect itself.
    const location = `${cdnOrigin}/cdn/${encodeURIComponent(repoId)}/${commit}/${encodeURIComponent(path)}`;
    return end(response, 302, {
      location,
      'x-repo-commit': commit,
      'x-linked-etag': `"${sha256(bytes)}"`,
      'x-linked-size': String(bytes.length),
      etag: '"0123"',
    });
  }
  if (request.method === 'HEAD') {
    return end(response, 200, {
      'x-repo-commit': commit,
      etag: `"${gitBlobId(bytes)}"`,
      'content-length': String(bytes.length),
    });
  }
  return serveBytes(hub, request, response, repoId, path);
}

function serveBytes(
  hub: Omit<LoopbackHub, 'endpoint' | 'close'>,
  request: IncomingMessage,
  response: ServerResponse,
  repoId: string,
  path: string,
) {
  const content = hub.repos.get(repoId)?.files[path];
  if (content === undefined) return end(response, 404, {});
  let bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const fault = hub.faults.get(`${repoId}/${path}`);
  if (fault?.kind === 'corrupt') {
    bytes = Uint8Array.from(bytes);
    bytes[bytes.length >> 1]! ^= 0x01;
  }
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  if (start > bytes.length) return end(response, 416, {});
  const body = bytes.subarray(start);
  response.writeHead(range ? 206 : 200, {
    'content-length': String(body.length),
    ...(range ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
  });
  if (request.method === 'HEAD') return response.end();
  if (fault?.kind === 'cut') {
    // Give the client time to read what was sent, then cut the connection as a failing network does.
    response.write(body.subarray(0, fault.afterBytes), () =>
      setTimeout(() => response.socket?.destroy(), 100),
    );
    return;
  }
  response.end(body);
}

function end(response: ServerResponse, status: number, headers: Record<string, string>) {
  response.writeHead(status, headers).end();
}
