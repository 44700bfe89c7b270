import {getLlama, LlamaChat, LlamaLogLevel} from "node-llama-cpp";
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, ...(process.env.MAXT ? {maxThreads: Number(process.env.MAXT)} : {})});
const model = await llama.loadModel({modelPath: "../shared/models/oserve-random-qwen2.gguf", gpuLayers: 0});
const threadsList = (process.env.THREADS ?? "1,2").split(",").map(Number);
for (const threads of threadsList) {
  const ctx = await model.createContext({contextSize: 1024, sequences: 1, threads: process.env.MIN ? {ideal: threads, min: threads} : threads,
    ...(process.env.DISPATCH === "micro" ? {batching: {dispatchSchedule: (d: () => void) => queueMicrotask(d)}} : {})});
  const seq = ctx.getSequence();
  const chat = new LlamaChat({contextSequence: seq});
  let n = 0, first = 0; const t1 = performance.now();
  await chat.generateResponse([{type:"user", text:"Hello"}, {type:"model", response: []}], {maxTokens: 256, temperature: 0, onToken: (t) => { if (!n) first = performance.now(); n += t.length; }});
  const dt = performance.now() - first;
  console.log(`threads=${threads} ${((n - 1) / dt * 1000).toFixed(0)} tok/s (${n} tokens, prefill+first ${(first - t1).toFixed(0)} ms)`);
  await ctx.dispose();
}
