// A small static file server for the example municipal pages: it stands in for a municipality's
// web server, on an origin other than the relay's. In HTML files it replaces the example's
// relay address (http://127.0.0.1:8787) with the relay actually running.
//
// As a module: `startStaticServer({directory, relayOrigin, port})` → {origin, close()}.
// From the command line: node static-server.mjs <directory> <relay origin> [port]

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";

export const EXAMPLE_RELAY_ORIGIN = "http://127.0.0.1:8787";

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export function startStaticServer({ directory, relayOrigin, port = 0, extraHeaders = {} }) {
  const root = normalize(directory);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://placeholder").pathname);
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) && file !== root) {
      response.writeHead(404).end();
      return;
    }
    try {
      let body = await readFile(file);
      const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
      if (type.startsWith("text/html") && relayOrigin) {
        body = Buffer.from(body.toString("utf8").replaceAll(EXAMPLE_RELAY_ORIGIN, relayOrigin));
      }
      response.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store", ...extraHeaders });
      response.end(body);
    } catch {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: boundPort } = server.address();
      resolve({
        origin: `http://127.0.0.1:${boundPort}`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [directory, relayOrigin, port] = process.argv.slice(2);
  const started = await startStaticServer({ directory, relayOrigin, port: Number(port ?? 0) });
  console.log(`listening on ${started.origin}`);
}
