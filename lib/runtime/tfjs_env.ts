// tfjs under Deno: Deno sets process.versions.node, so tfjs takes it for Node.js and its cpu backend
// prints "install tfjs-node" on first use — a package Deno cannot load. Tell tfjs it is not on Node
// once its Node-specific choices are made, keeping them (the node platform, single-threaded wasm).

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm"; // registers the WASM_* flags evaluated below

/**
 * Sets tfjs's `IS_NODE` flag to false after evaluating the one lazy flag that reads it
 * (`WASM_HAS_MULTITHREAD_SUPPORT`, false on Node: Deno cannot start emscripten's pthread workers,
 * platform.md), so only the tfjs-node banner changes. The platform was chosen at import and stays.
 * Idempotent; call it before the first tensor.
 * @example
 * await tfjsOnDeno();
 * tf.tensor([1, 2]); // no "install tfjs-node" banner
 */
export async function tfjsOnDeno(): Promise<void> {
  const env = tf.env();
  if (!env.getBool("IS_NODE")) return;
  await env.getAsync("WASM_HAS_MULTITHREAD_SUPPORT"); // cached with IS_NODE true: false
  env.set("IS_NODE", false);
}
