// How long idle decode threads poll for the next decode before they sleep (--poll, llama-server's):
// the engine build's threadpool (patch 1) reads it from the environment as each context makes its
// pool. The addon sets it (native/threadpool-poll.cpp): Bun's process.env never reaches the C
// environment. An addon without it (node-llama-cpp's prebuilt) makes no pool to poll.
import type { Llama } from "node-llama-cpp";

interface PollBindings {
  oserveSetThreadpoolPoll?: (level: number) => void;
}

/** Sets the poll level (0-100) of the contexts `llama` makes from now on; false where its addon has no threadpool to set it for. */
export function setThreadpoolPoll(llama: Llama, level: number): boolean {
  const set = (llama as unknown as { _bindings?: PollBindings })._bindings?.oserveSetThreadpoolPoll;
  set?.(level);
  return set !== undefined;
}
