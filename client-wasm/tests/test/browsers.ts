// What the tests that run pages in Chromium share: a static file server on
// 127.0.0.1 and Debian's Chromium, started headless as this machine needs.

import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname } from "node:path";
import { chromium, type Browser } from "playwright-core";

const chromiumPath = process.env["SWILL_CHROMIUM"] ?? "/usr/bin/chromium";

const types: Record<string, string> = {
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8",
};

/** What to answer for a path: a file, inline HTML, a bare status, or 404 (undefined). */
export type Found = string | { html: string } | { status: number } | undefined;

/** Serves what `find` names for each request's path. */
export function serveStatic(find: (path: string) => Found): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const found = find(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (found === undefined) {
      res.writeHead(404).end();
    } else if (typeof found === "object" && "html" in found) {
      res.writeHead(200, { "content-type": types[".html"]! }).end(found.html);
    } else if (typeof found === "object") {
      res.writeHead(found.status).end();
    } else {
      try {
        const body = await readFile(found);
        res.writeHead(200, { "content-type": types[extname(found)] ?? "application/octet-stream" }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

/**
 * Debian's Chromium, headless. Without the background-networking flags it
 * tries Google's hosts, which this machine's closed network refuses.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}
