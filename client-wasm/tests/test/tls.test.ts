// The TypeScript client over wss://: the demo serves TLS with a certificate
// made here, at test time (openssl), trusted by Node through `ws`'s `ca`
// option and by Chromium through its SPKI pin; untrusted, the connection
// fails with a SwillError instead of crashing the process.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { Client, SwillError } from "swill-client";
import { launchChromium } from "./browsers.js";
import { startDemo, type Demo } from "./helpers.js";


let dir: string;
let demo: Demo;
let ca: Buffer;

/** A self-signed certificate for localhost and 127.0.0.1, and its key. */
function makeCertificate(into: string): void {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(into, "key.pem"), "-out", join(into, "cert.pem"), "-days", "1",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "ignore" });
}

/** The certificate's SPKI hash, as Chromium's `--ignore-certificate-errors-spki-list` takes it. */
function spkiHash(cert: string): string {
  const key = execFileSync("openssl", ["x509", "-in", cert, "-pubkey", "-noout"]);
  const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: key });
  return execFileSync("openssl", ["dgst", "-sha256", "-binary"], { input: der }).toString("base64");
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "swill-tls-"));
  makeCertificate(dir);
  ca = readFileSync(join(dir, "cert.pem"));
  demo = await startDemo("127.0.0.1:0", ["--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem")]);
});

after(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("Node: a client trusting the certificate calls over wss", async () => {
  assert.match(demo.url, /^wss:\/\//);
  // `ws` takes the CA as an option; the client takes any WebSocket class.
  class Trusting extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca });
    }
  }
  const url = demo.url.replace("127.0.0.1", "localhost");
  const client = await Client.connect(url, { WebSocket: Trusting as unknown as typeof WebSocket });
  try {
    assert.equal(await client.call<number>("add", [1, 2]), 3);
  } finally {
    client.close();
  }
});

test("Node: an untrusted certificate fails the connection with a SwillError", async () => {
  await assert.rejects(Client.connect(demo.url, { WebSocket, reconnect: false }), (e: unknown) => {
    assert.ok(e instanceof SwillError, String(e));
    assert.match(e.message, /certificate|self.signed|TLS/i);
    return true;
  });
});

test("Chromium: the playground, served over https, calls over wss", async () => {
  const browser = await launchChromium([
    `--ignore-certificate-errors-spki-list=${spkiHash(join(dir, "cert.pem"))}`,
  ]);
  try {
    const page = await browser.newPage();
    const origin = demo.url.replace("wss://", "https://").replace(/\/ws$/, "");
    await page.goto(`${origin}/`);
    await page.waitForSelector("#connection[data-state='connected']", { timeout: 15_000 });
    assert.match(await page.inputValue("#url"), /^wss:\/\//);
    await page.click(`#rpcs button[data-rpc="add"]`);
    await page.fill("#editor", "[20, 22]");
    await page.click("#call");
    await page.waitForSelector(`#call-status[data-state="done"]`);
    assert.equal(await page.textContent("#result pre"), "42");
  } finally {
    await browser.close();
  }
});
