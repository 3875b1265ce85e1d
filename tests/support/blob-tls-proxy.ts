import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/**
 * The Azure ML datastore's blob account (`https://<account>.blob.core.windows.net`) for a
 * child process that cannot be handed a container factory (an action run from its dist/): an
 * HTTPS proxy on 127.0.0.1 that the Azure SDK reaches through `HTTPS_PROXY` (core-rest-pipeline
 * honours it), which terminates TLS for `*.blob.core.windows.net` with a throw-away certificate
 * (trusted by the child through `NODE_EXTRA_CA_CERTS`) and forwards each request to Azurite's
 * account, without its bearer token (the container is made public-read for this; a test whose
 * child writes, e.g. the register action uploading a bundle, gives a SAS of Azurite's account,
 * added to each request's query instead). Any other
 * CONNECT is refused and recorded, so a request that would leave the machine fails the test.
 */
export interface BlobTlsProxy {
  /** `http://127.0.0.1:<port>`: the child's HTTPS_PROXY. */
  url: string;
  /** The throw-away CA certificate file: the child's NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** Blob requests forwarded: method, path and the bearer token they carried. */
  readonly requests: { method: string; path: string; authorization: string }[];
  /** CONNECT targets refused (not a blob account). */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Starts the proxy in front of Azurite's account URL (e.g. `http://127.0.0.1:1234/devstoreaccount1`). */
export async function startBlobTlsProxy(
  azuriteAccountUrl: string,
  options: { sas?: string } = {},
): Promise<BlobTlsProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'opp-blob-proxy-'));
  const key = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      caFile,
      '-days',
      '1',
      '-subj',
      '/CN=*.blob.core.windows.net',
      '-addext',
      'subjectAltName=DNS:*.blob.core.windows.net',
    ],
    { stdio: 'ignore' },
  );
  const requests: BlobTlsProxy['requests'] = [];
  const refused: string[] = [];
  const upstream = new URL(azuriteAccountUrl);
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(caFile) }, (req, res) => {
    requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization ?? '',
    });
    const headers = { ...req.headers, host: upstream.host };
    delete headers.authorization;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: withSas(`${upstream.pathname}${req.url ?? '/'}`, options.sas),
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => res.destroy(error));
    req.pipe(forward);
  });
  const proxy = createServer((_req, res) => res.writeHead(405).end());
  const tunnels = new Set<Duplex>();
  proxy.on('connect', (req, socket) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const target = req.url ?? '';
    if (!/^[a-z0-9]+\.blob\.core\.windows\.net:443$/.test(target)) {
      refused.push(target);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    tls.emit('connection', socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    caFile,
    requests,
    refused,
    async close() {
      for (const socket of tunnels) socket.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      tls.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `path` with the SAS query parameters added, when one is given. */
function withSas(path: string, sas: string | undefined): string {
  if (!sas) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${sas}`;
}

/**
 * What a rehearsed step needs to reach the fake Azure ML workspace and its datastore: the ARM URL
 * (the actions' documented override) and the blob proxy with its CA.
 */
export function azureRehearsalEnv(armUrl: string, proxy: BlobTlsProxy): Record<string, string> {
  return {
    AZURE_ARM_ENDPOINT: armUrl,
    HTTPS_PROXY: proxy.url,
    NO_PROXY: '127.0.0.1,localhost',
    NODE_EXTRA_CA_CERTS: proxy.caFile,
  };
}
