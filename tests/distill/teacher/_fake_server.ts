// A fake OpenAI-compatible server for the teacher tests: real HTTP on 127.0.0.1 (port 0), a handler per
// test, and counters of hits and of requests in flight.

/** One request as the handler sees it. */
export interface FakeRequest {
  readonly path: string;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
  readonly authorization: string | null;
  /** 1-based arrival number. */
  readonly hit: number;
}

/** A running fake server. */
export interface FakeServer {
  /** `http://127.0.0.1:<port>/v1` */
  readonly baseUrl: string;
  readonly hostPort: string;
  readonly requests: FakeRequest[];
  hits(): number;
  maxInFlight(): number;
  close(): Promise<void>;
}

/** Starts a server answering every request with `handler`. */
export function startFakeServer(
  handler: (req: FakeRequest) => Response | Promise<Response>,
): FakeServer {
  const requests: FakeRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const text = await req.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const fr: FakeRequest = {
        path: new URL(req.url).pathname,
        body,
        authorization: req.headers.get("authorization"),
        hit: requests.length + 1,
      };
      requests.push(fr);
      return await handler(fr);
    } finally {
      inFlight--;
    }
  });
  const hostPort = `127.0.0.1:${server.addr.port}`;
  return {
    baseUrl: `http://${hostPort}/v1`,
    hostPort,
    requests,
    hits: () => requests.length,
    maxInFlight: () => maxInFlight,
    close: () => server.shutdown(),
  };
}

/** A chat completion body with one choice. */
export function chatJson(content: string, finishReason = "stop"): Response {
  return Response.json({
    id: "x",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finishReason }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });
}

/** An OpenAI-style error body with a status. */
export function errorJson(status: number, message: string, headers: HeadersInit = {}): Response {
  return Response.json({ error: { message, type: "test" } }, { status, headers });
}

/** The content of the request's first user message. */
export function userContent(req: FakeRequest): string {
  return String(req.body?.messages?.[0]?.content ?? "");
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every file under `dir`, recursively, as text. */
export async function readAllText(dir: string): Promise<string> {
  let out = "";
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out += await readAllText(p);
    else if (e.isFile) out += await Deno.readTextFile(p);
  }
  return out;
}
