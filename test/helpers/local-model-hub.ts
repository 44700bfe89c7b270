// A local HTTP server for a model file, as a model hub would serve it: HEAD, Range requests, and on
// demand a connection cut part way through or held, or a 404. No outside network in tests.
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename } from "node:path";

export interface ModelServer {
  url: string;
  /** Cut the next body after this many bytes. */
  cutNextAfter(bytes: number): void;
  /** Pause the next body after this many bytes until release(): a load that lasts as long as a test needs. */
  holdNextAfter(bytes: number): void;
  release(): void;
  requests: string[];
  close(): Promise<void>;
}

export async function serveModel(file: string): Promise<ModelServer> {
  const size = statSync(file).size;
  const name = basename(file);
  let cutAfter: number | null = null;
  let holdAfter: number | null = null;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.range ?? ""}`.trim());
    if (req.url !== `/${name}`) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : size - 1;
    const headers = { "content-length": String(end - start + 1), "accept-ranges": "bytes", "content-type": "application/octet-stream" };
    if (range) res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}` });
    else res.writeHead(200, headers);
    if (req.method === "HEAD") return void res.end();
    const [cut, hold] = [cutAfter, holdAfter];
    [cutAfter, holdAfter] = [null, null];
    if (hold !== null && hold < end - start + 1) {
      const head = createReadStream(file, { start, end: start + hold - 1 });
      head.pipe(res, { end: false });
      head.on("end", () => void released.then(() => createReadStream(file, { start: start + hold, end }).pipe(res)));
      return;
    }
    const stream = createReadStream(file, { start, end: cut === null ? end : Math.min(end, start + cut - 1) });
    stream.pipe(res, { end: cut === null });
    // A connection dropped part way, as a flaky network does.
    if (cut !== null) stream.on("end", () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/${name}`,
    cutNextAfter: (bytes) => (cutAfter = bytes),
    holdNextAfter: (bytes) => (holdAfter = bytes),
    release: () => release(),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
