// PURE: where a tool call begins in what the model writes, as llama.cpp's lazy grammar finds it
// (src/llama-grammar.cpp, llama_grammar_accept_impl; the triggers from common/sampling.cpp): a
// trigger token, a word, or a pattern over all the text so far (`^…$`: the whole of it), whose first
// non-empty group (else the match) is where the call starts. From there on the format's grammar
// constrains the call, so a small model cannot write a call its parser cannot read.
import type { Token } from "node-llama-cpp";
import { TriggerType } from "./native.ts";

export interface GrammarTrigger {
  type: number;
  value: string;
  token: number;
}

interface Pattern {
  regex: RegExp;
  /** `^…$`: matched against the whole text. */
  whole: boolean;
}

/**
 * How far back a search anywhere starts before the newest text: a call's opener is never longer,
 * and each token costs a bounded search however long the answer grows.
 */
const SEARCH_BACK = 512;

export class CallTrigger {
  private readonly tokens: ReadonlySet<number>;
  private readonly patterns: readonly Pattern[];
  private text = "";

  constructor(triggers: readonly GrammarTrigger[]) {
    this.tokens = new Set(triggers.filter((trigger) => trigger.type === TriggerType.token).map((trigger) => trigger.token));
    this.patterns = triggers.flatMap((trigger): Pattern[] => {
      switch (trigger.type) {
        case TriggerType.word:
          return [pattern(escapeRegExp(trigger.value))];
        case TriggerType.pattern:
          return [pattern(trigger.value)];
        case TriggerType.patternFull:
          return [pattern(`${trigger.value.startsWith("^") ? "" : "^"}${trigger.value}${trigger.value.endsWith("$") ? "" : "$"}`)];
        default:
          return [];
      }
    });
  }

  /** Whether there is anything to wait for. */
  get armed(): boolean {
    return this.tokens.size > 0 || this.patterns.length > 0;
  }

  /**
   * Reads a token the model wrote, with its text; where a call begins, the call's text so far (from
   * its start to the end of this token), else null. After a call began it reads nothing more.
   */
  push(token: Token, piece: string): string | null {
    if (this.tokens.has(token)) {
      this.text = "";
      return piece;
    }
    const from = Math.max(0, this.text.length - SEARCH_BACK);
    this.text += piece;
    for (const { regex, whole } of this.patterns) {
      regex.lastIndex = whole ? 0 : from;
      const start = startOf(regex.exec(this.text), whole ? this.text.length : null);
      if (start !== null) {
        const call = this.text.slice(start);
        this.text = "";
        return call;
      }
    }
    return null;
  }
}

function pattern(source: string): Pattern {
  const whole = source.startsWith("^") && source.endsWith("$");
  // llama.cpp's patterns are ECMAScript regular expressions (std::regex's default grammar); `g`
  // for lastIndex, `d` for the groups' positions.
  return { regex: new RegExp(source, "gd"), whole };
}

/** Where the call starts in a match: its first non-empty group, else the match; null: no match (or not the whole text, where `whole` is its length). */
function startOf(match: RegExpExecArray | null, whole: number | null): number | null {
  if (!match) return null;
  if (whole !== null && (match.index !== 0 || match[0].length !== whole)) return null;
  const indices = match.indices;
  if (indices) {
    for (let group = 1; group < match.length; group++) {
      const span = indices[group];
      if (span && span[1] > span[0]) return span[0];
    }
  }
  return match.index;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
