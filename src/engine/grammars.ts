// Compiled grammars for response formats and tool calls, kept by schema or text: clients repeat the same few.
import { readFile } from "node:fs/promises";
import type { Llama, LlamaGrammar } from "node-llama-cpp";
import { packageFile } from "./node-llama-cpp.ts";
import type { OutputFormat } from "./types.ts";

/** Compiled grammars for response formats and tool calls, kept by schema or text: clients repeat the same few. */
export class Grammars {
  private readonly bySchema = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    private readonly llama: Llama,
    private readonly limit = 64,
  ) {}

  /** The grammar for a format; undefined for free text. */
  async forFormat(format: OutputFormat): Promise<LlamaGrammar | undefined> {
    if (format.type === "text") return undefined;
    if (format.type === "json") return this.cached("json", () => this.jsonGrammar());
    // `as never`: node-llama-cpp's generic schema types only help with literal schemas.
    return this.cached(JSON.stringify(format.schema), () => this.llama.createGrammarForJsonSchema(format.schema as never));
  }

  /** A GBNF grammar (llama.cpp's chat layer writes one for a required call or a format). */
  forGbnf(gbnf: string): Promise<LlamaGrammar> {
    return this.cached(`gbnf:${gbnf}`, () => this.llama.createGrammar({ grammar: gbnf }));
  }

  /**
   * llama.cpp's JSON grammar (any object), from the file node-llama-cpp ships. Read here, not through
   * `getGrammarFor("json")`: that looks for the grammars folder of a local build in a llama.cpp clone,
   * which the engine build does not make, and failed every json_object request on it.
   */
  private async jsonGrammar(): Promise<LlamaGrammar> {
    const file = packageFile("llama/grammars/json.gbnf");
    if (file === null) return this.llama.getGrammarFor("json");
    return this.llama.createGrammar({ grammar: await readFile(file, "utf8") });
  }

  private cached(key: string, make: () => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let grammar = this.bySchema.get(key);
    if (!grammar) {
      if (this.bySchema.size >= this.limit) this.bySchema.delete(this.bySchema.keys().next().value!);
      grammar = make();
      grammar.catch(() => this.bySchema.delete(key));
      this.bySchema.set(key, grammar);
    }
    return grammar;
  }
}
