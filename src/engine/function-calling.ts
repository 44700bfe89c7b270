// How tools reach node-llama-cpp: as its `functions`, through the model's own chat wrapper.
import type { ChatModelFunctions, ChatWrapper, LlamaText } from "node-llama-cpp";
import type { ToolChoice, ToolSpec } from "./types.ts";

/** The functions the model may call under `choice`: none, all, or the one named. */
export function toFunctions(tools: readonly ToolSpec[], choice: ToolChoice): ChatModelFunctions | undefined {
  const offered = choice.type === "none" ? [] : choice.type === "function" ? tools.filter((t) => t.name === choice.name) : tools;
  if (offered.length === 0) return undefined;
  return Object.fromEntries(
    offered.map((tool) => [
      tool.name,
      { ...(tool.description ? { description: tool.description } : {}), ...(tool.parameters ? { params: tool.parameters } : {}) },
    ]),
  );
}

/**
 * The same wrapper, but the answer opens with the model's function-call prefix, so the first thing
 * generated is a call: its name constrained by grammar to the offered functions, its arguments
 * to their schema. node-llama-cpp does this itself for wrappers whose answers always begin with a
 * call (its `noPrefixTrigger` of type "functionCall"); here it is applied to any wrapper, which is
 * what `tool_choice: "required"` or a named function needs.
 */
export function forceFunctionCall(wrapper: ChatWrapper, llamaText: typeof LlamaText): ChatWrapper {
  const callPrefix = wrapper.settings.functions?.call.prefix;
  if (callPrefix === undefined) return wrapper;
  const forced = Object.create(wrapper) as ChatWrapper;
  forced.generateContextState = (options) => {
    const state = wrapper.generateContextState(options);
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      noPrefixTrigger: { type: "functionCall", inject: llamaText(callPrefix) },
      detectFunctionCalls: true,
    };
  };
  return forced;
}
