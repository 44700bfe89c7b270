import {getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper, LlamaText, type ChatWrapper} from "node-llama-cpp";
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const functions = {
  get_weather: {description: "Get the current weather in a city", params: {type: "object", properties: {city: {type: "string"}}, required: ["city"]}},
  get_time: {description: "Get the time in a city", params: {type: "object", properties: {city: {type: "string"}}, required: ["city"]}},
} as const;
function force(w: ChatWrapper): ChatWrapper {
  const f = Object.create(w) as ChatWrapper;
  f.generateContextState = (o) => { const s = w.generateContextState(o); return {contextText: s.contextText, stopGenerationTriggers: s.stopGenerationTriggers, noPrefixTrigger: {type: "functionCall", inject: LlamaText(w.settings.functions!.call.prefix)}, detectFunctionCalls: true}; };
  return f;
}
for (const [file, q, forced] of [["oserve-tiny-chat", "What's the weather in Paris and Rome?", false], ["oserve-tiny-chat", "Hello", true], ["oserve-random-qwen2", "Hello", true]] as const) {
  const model = await llama.loadModel({modelPath: `../shared/models/${file}.gguf`});
  const ctx = await model.createContext({contextSize: 2048, threads: 1});
  const base = resolveChatWrapper(model);
  const chat = new LlamaChat({contextSequence: ctx.getSequence(), chatWrapper: forced ? force(base) : base});
  const ev: string[] = [];
  const res = await chat.generateResponse([{type: "user", text: q}, {type: "model", response: []}], {functions, maxTokens: 200,
    onTextChunk: (t) => ev.push("T" + JSON.stringify(t)), onFunctionCallParamsChunk: (c) => ev.push(`P${c.callIndex}:${c.functionName}:${JSON.stringify(c.paramsChunk)}:${c.done}`)});
  console.log(file, q, forced, res.metadata.stopReason, JSON.stringify(res.response), JSON.stringify(res.functionCalls?.map(c => [c.functionName, c.params])));
  console.log(ev.join(" | "));
  await ctx.dispose(); await model.dispose();
}
