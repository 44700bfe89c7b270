// What oserve's patches add to node-llama-cpp's JavaScript (patches/node-llama-cpp/), declared once
// and typed here, so that nothing else reaches it through a cast; each is absent from a package the
// patches were not applied to, and the callers go on without it.
import type { LlamaModel } from "node-llama-cpp";
import type { NodeLlamaCppModule } from "./node-llama-cpp.ts";
import type { CheckStore } from "./template-checks.ts";

/** resolveChatWrapper.warmUp (patch 20): the template checks one at a time, the event loop turning; how many ran. */
export type ChatWrapperWarmUp = (model: LlamaModel, options: object, signal?: AbortSignal, store?: CheckStore) => Promise<number>;

interface PatchedModule {
  /** The patches the bundle carries, by name (scripts/bundle-node-llama-cpp.ts). */
  oservePatches?: readonly string[];
  resolveChatWrapper: { warmUp?: ChatWrapperWarmUp };
}

const patched = (lib: NodeLlamaCppModule) => lib as unknown as PatchedModule;

export function chatWrapperWarmUp(lib: NodeLlamaCppModule): ChatWrapperWarmUp | undefined {
  return patched(lib).resolveChatWrapper.warmUp;
}

/** The patch names the imported bundle exports; undefined where node-llama-cpp loaded unbundled. */
export function bundledPatches(lib: NodeLlamaCppModule): readonly string[] | undefined {
  return patched(lib).oservePatches;
}
