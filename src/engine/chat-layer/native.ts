// The seam to llama.cpp's chat layer in the engine build's addon (native/chat-layer.cpp), declared
// once and typed: node-llama-cpp's prebuilt has none of it, and then the model's chat wrapper is
// node-llama-cpp's (the startup line says which layer runs).
import type { Llama, LlamaContext, LlamaGrammarEvaluationState, LlamaModel, Token } from "node-llama-cpp";
import type { ChatInputs } from "./inputs.ts";
import type { MessageDiff } from "./diff-events.ts";

/** llama.cpp's grammar trigger kinds (common_grammar_trigger_type). */
export const TriggerType = { token: 0, word: 1, pattern: 2, patternFull: 3 } as const;

/** What apply() returns: llama-server's chat params (common_chat_params). */
export interface ChatParams {
  prompt: string;
  format: number;
  /** The format's name in llama.cpp ("peg-native", "Content-only", …). */
  format_name: string;
  /** GBNF for the model's tool calls (and output format); empty: none. */
  grammar: string;
  /** The grammar applies only once a trigger appears. */
  grammar_lazy: boolean;
  grammar_triggers: Array<{ type: number; value: string; token: number }>;
  /** Special tokens that are text the parser reads (`<tool_call>`, Harmony's `<|channel|>`, …). */
  preserved_tokens: string[];
  additional_stops: string[];
  /** The format's parser, serialized; what ChatParser reads. */
  parser: string;
  /** What the prompt ends with for the model's turn (a parser's starting state: an opened `<think>`). */
  generation_prompt: string;
  supports_thinking: boolean;
  thinking_start_tag: string;
  thinking_end_tags: string[];
}

/** The model's parsed templates. */
export interface NativeTemplates {
  apply(inputs: string): string;
  /** The same, on libuv's thread pool. */
  applyAsync(inputs: string): Promise<string>;
}

/** One generation's parser. */
export interface NativeParser {
  update(added: string, partial: boolean): string;
}

interface ChatLayerBindings {
  OserveChatTemplates: new (model: unknown, templateOverride: string) => NativeTemplates;
  OserveChatParser: new (params: string) => NativeParser;
}

/** node-llama-cpp's native model behind a LlamaModel (its addon object, which the chat layer takes). */
interface AddonModel {
  /** llama.cpp's own end-of-generation check (llama_vocab_is_eog). */
  isEogToken(token: number): boolean;
}

export function addonModel(model: LlamaModel): AddonModel {
  return (model as unknown as { _model: AddonModel })._model;
}

/**
 * The threads the context's next decodes take: node-llama-cpp hands its thread splitter's wanted
 * count (made from the context's ideal, each time decoding resumes) to the addon before every decode
 * (setThreads), and the engine build's threadpool follows it.
 */
export function setDecodeThreads(context: LlamaContext, threads: number): void {
  const inner = context as unknown as { _idealThreads: number; _threadSplitterConsumer?: { _wantedThreads: number } };
  inner._idealThreads = threads;
  if (inner._threadSplitterConsumer) inner._threadSplitterConsumer._wantedThreads = threads;
}

/** Sequences in node-llama-cpp's decode queue now (a private set it keeps to itself); null where it has none. */
export function queuedDecodes(context: LlamaContext | undefined): number | null {
  return (context as { _queuedDecodeSequenceIds?: Set<number> } | undefined)?._queuedDecodeSequenceIds?.size ?? null;
}

/** node-llama-cpp's addon calls that move a grammar's state by a token, as its sampler does after sampling one. */
interface GrammarStateBindings {
  AddonSampler: {
    canBeNextTokenForGrammarEvaluationState(state: unknown, token: Token): boolean;
    acceptGrammarEvaluationStateToken(state: unknown, token: Token): void;
  };
}

/**
 * Moves a grammar's state over tokens written before the grammar applied (a lazy grammar's trigger);
 * false, the state left where the refusal came, where the grammar refuses one of them.
 */
export function acceptGrammarTokens(llama: Llama, state: LlamaGrammarEvaluationState, tokens: readonly Token[]): boolean {
  const { AddonSampler } = (llama as unknown as { _bindings: GrammarStateBindings })._bindings;
  const native = (state as unknown as { _state: unknown })._state;
  for (const token of tokens) {
    if (!AddonSampler.canBeNextTokenForGrammarEvaluationState(native, token)) return false;
    AddonSampler.acceptGrammarEvaluationStateToken(native, token);
  }
  return true;
}

/** The engine build's tokenizer (native/tokenize.cpp). */
interface TokenizerBindings {
  oserveTokenize(model: unknown, text: string, parseSpecial: boolean): Promise<Uint32Array>;
}

/** A model's tokenizer on libuv's thread pool, where the loaded addon has it (the engine build); null otherwise. */
export function asyncTokenizer(model: LlamaModel): ((text: string, parseSpecial: boolean) => Promise<Uint32Array>) | null {
  const found = (model.llama as unknown as { _bindings?: Partial<TokenizerBindings> })._bindings;
  const tokenize = found?.oserveTokenize;
  return tokenize ? (text, parseSpecial) => tokenize(addonModel(model), text, parseSpecial) : null;
}

/** The addon's chat layer, where the loaded addon has one. */
function bindings(llama: Llama): ChatLayerBindings | null {
  const found = (llama as unknown as { _bindings?: Partial<ChatLayerBindings> })._bindings;
  return found?.OserveChatTemplates && found.OserveChatParser ? (found as ChatLayerBindings) : null;
}

/** A model's chat format as llama-server runs it: render a request, parse what the model writes. */
export class ChatLayer {
  private constructor(
    private readonly addon: ChatLayerBindings,
    private readonly templates: NativeTemplates,
  ) {}

  /** The model's chat layer (its GGUF template, or `template` in its place); null where the addon has none. */
  static of(llama: Llama, model: LlamaModel, template: string | null): ChatLayer | null {
    const addon = bindings(llama);
    if (!addon) return null;
    return new ChatLayer(addon, new addon.OserveChatTemplates(addonModel(model), template ?? ""));
  }

  /** Renders a conversation; throws where the template refuses it (llama.cpp's message). */
  apply(inputs: ChatInputs): ChatParams {
    return JSON.parse(this.templates.apply(JSON.stringify(inputs))) as ChatParams;
  }

  /** The same off the event loop (on libuv's thread pool): what a request's rendering takes. */
  async applyAsync(inputs: ChatInputs): Promise<ChatParams> {
    return JSON.parse(await this.templates.applyAsync(JSON.stringify(inputs))) as ChatParams;
  }

  /** A parser for one generation that `params` began; `tools`: whether calls are read as calls. */
  parser(params: ChatParams, tools: boolean): ChatParser {
    const settings = { format: params.format, parser: params.parser, generation_prompt: params.generation_prompt, reasoning_format: "auto", parse_tool_calls: tools };
    return new ChatParser(new this.addon.OserveChatParser(JSON.stringify(settings)));
  }
}

/** The model's output so far, read again as it grows (llama-server's task_result_state). */
export class ChatParser {
  constructor(private readonly native: NativeParser) {}

  /** What the message gained with `added`; `partial`: more may follow. */
  update(added: string, partial: boolean): MessageDiff[] {
    return JSON.parse(this.native.update(added, partial)) as MessageDiff[];
  }
}
