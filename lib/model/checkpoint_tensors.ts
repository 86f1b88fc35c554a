// One tensor source over an HF checkpoint folder: a single model.safetensors or shards listed by
// model.safetensors.index.json (weight_map). Tensors are read one at a time from the owning shard.
import { openSafetensors, type SafetensorsFile, type TensorInfo } from "./safetensors.ts";

/** Tensors of a checkpoint folder, possibly spread over several shard files. */
export interface CheckpointTensors {
  /** name → header entry (and the shard file that holds it) */
  tensors: Map<string, TensorInfo & { file: string }>;
  read(name: string): Promise<{ shape: number[]; data: Float32Array }>;
  close(): void;
}

/**
 * Open `dir/model.safetensors`, or every shard named by `dir/model.safetensors.index.json`.
 *
 * @example
 * ```ts
 * const ck = await openCheckpointTensors("tests/fixtures/model/tiny_qwen2");
 * console.log([...ck.tensors.keys()].length);
 * ck.close();
 * ```
 */
export async function openCheckpointTensors(dir: string): Promise<CheckpointTensors> {
  const indexPath = `${dir}/model.safetensors.index.json`;
  const single = `${dir}/model.safetensors`;
  const files: SafetensorsFile[] = [];
  const tensors = new Map<string, TensorInfo & { file: string }>();
  const owner = new Map<string, SafetensorsFile>();
  try {
    if (await exists(indexPath)) {
      const shards = await readWeightMap(indexPath);
      for (const shard of new Set(shards.values())) {
        files.push(await openSafetensors(`${dir}/${shard}`));
      }
      const byName = new Map(files.map((f) => [f.path.slice(dir.length + 1), f]));
      for (const [name, shard] of shards) {
        const f = byName.get(shard)!;
        const info = f.tensors.get(name);
        if (!info) {
          throw new Error(`${indexPath}: weight_map puts "${name}" in ${shard}, which lacks it`);
        }
        tensors.set(name, { ...info, file: f.path });
        owner.set(name, f);
      }
    } else if (await exists(single)) {
      const f = await openSafetensors(single);
      files.push(f);
      for (const [name, info] of f.tensors) {
        tensors.set(name, { ...info, file: single });
        owner.set(name, f);
      }
    } else {
      throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json`);
    }
  } catch (e) {
    files.forEach((f) => f.close());
    throw e;
  }
  return {
    tensors,
    read: (name) => {
      const f = owner.get(name);
      if (!f) return Promise.reject(new Error(`${dir}: checkpoint has no tensor "${name}"`));
      return f.read(name);
    },
    close: () => files.forEach((f) => f.close()),
  };
}

async function readWeightMap(indexPath: string): Promise<Map<string, string>> {
  let json: { weight_map?: unknown };
  try {
    json = JSON.parse(await Deno.readTextFile(indexPath));
  } catch (e) {
    throw new Error(`${indexPath}: not valid JSON: ${(e as Error).message}`);
  }
  const wm = json.weight_map;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) {
    throw new Error(
      `${indexPath}: key "weight_map": expected an object of tensor name → shard file`,
    );
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\")) {
      throw new Error(
        `${indexPath}: weight_map["${name}"]: expected a shard file name in the folder`,
      );
    }
    out.set(name, shard);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
