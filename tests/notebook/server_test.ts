// The classic notebook server starts with the project kernelspec on JUPYTER_PATH and stops cleanly.
import { assert } from "../_assert.ts";
import {
  KERNEL_NAME,
  NOTEBOOK_PACKAGE,
  pythonHas,
  startNotebookServer,
} from "../../lib/notebook/mod.ts";

const noServer = (await pythonHas(["notebook"]))
  ? undefined
  : `/usr/bin/python3 has no notebook server (apt-get install --no-install-recommends ${NOTEBOOK_PACKAGE})`;
if (noServer) console.warn(`tests/notebook/server_test.ts: skipping: ${noServer}`);

/** A free TCP port on 127.0.0.1 (asks the OS, then releases it). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test({
  name: `startNotebookServer: answers with the project kernel, then stops${
    noServer ? ` (skipped: ${noServer})` : ""
  }`,
  ignore: noServer !== undefined,
  async fn() {
    const t0 = performance.now();
    const server = await startNotebookServer({ port: freePort(), log: "null" });
    try {
      console.log(
        `notebook server up in ${(performance.now() - t0).toFixed(0)} ms: ${
          server.kernels.join(", ")
        }`,
      );
      assert(server.kernels.includes(KERNEL_NAME), `kernels: ${server.kernels}`);
      const res = await fetch(server.url);
      assert(res.ok, `GET ${server.url}: ${res.status}`);
      await res.body?.cancel();
      // The server can start the project kernel (REST: create, wait until idle, delete).
      const api = `http://127.0.0.1:${server.port}/api/kernels`;
      const headers = { Authorization: `token ${server.token}` };
      const created = await fetch(api, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: KERNEL_NAME }),
      });
      const kernel = await created.json() as { id: string; name: string };
      assert(
        created.status === 201 && kernel.name === KERNEL_NAME,
        `POST ${api}: ${created.status}`,
      );
      // Execute one cell over the kernel's websocket, as the browser UI does.
      const ws = new WebSocket(
        `ws://127.0.0.1:${server.port}/api/kernels/${kernel.id}/channels?token=${server.token}`,
      );
      const result = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no execute_result within 30 s")), 30_000);
        ws.onerror = () => reject(new Error("websocket error"));
        ws.onopen = () =>
          ws.send(JSON.stringify({
            channel: "shell",
            header: {
              msg_id: "m1",
              msg_type: "execute_request",
              session: "s1",
              username: "test",
              version: "5.3",
            },
            parent_header: {},
            metadata: {},
            content: {
              code: "6 * 7",
              silent: false,
              store_history: true,
              user_expressions: {},
              allow_stdin: false,
            },
          }));
        ws.onmessage = (e) => {
          const msg = JSON.parse(e.data);
          if (msg.msg_type === "execute_result" && msg.parent_header.msg_id === "m1") {
            clearTimeout(timer);
            resolve(msg.content.data["text/plain"]);
          }
        };
      });
      ws.close();
      assert(result === "42", `execute_result ${result}`);
      const deleted = await fetch(`${api}/${kernel.id}`, { method: "DELETE", headers });
      await deleted.body?.cancel();
      assert(deleted.status === 204, `DELETE kernel: ${deleted.status}`);
    } finally {
      await server.close();
    }
    let refused = false;
    await fetch(`http://127.0.0.1:${server.port}/api`).catch(() => refused = true);
    assert(refused, "server still answering after close()");
  },
});

Deno.test("startNotebookServer: a python without the notebook module fails with the apt package name", async () => {
  let message = "";
  await startNotebookServer({ python: "/nonexistent/python3" }).catch((e) => message = e.message);
  assert(message.includes(`apt-get install --no-install-recommends ${NOTEBOOK_PACKAGE}`), message);
});
