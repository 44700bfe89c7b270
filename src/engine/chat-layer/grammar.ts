// PURE: llama.cpp's grammar for a required tool call, made to apply from the first generated token.
// llama-server feeds the grammar the generation prompt first (its sampler's `generation_prompt`)
// and lets the model write text before the call; node-llama-cpp's grammar state starts at the
// first token, and a required call (OpenAI's `tool_choice: "required"`) is the call at once.

/**
 * The grammar with the generation prompt taken off the front of its root rule, and the optional
 * free text before the calls (an `until-N?` rule) left out. A grammar of another shape is as it was.
 */
export function callAtOnce(grammar: string, generationPrompt: string): string {
  return grammar.replace(/^root ::= (.*)$/m, (_line, body: string) => {
    let rest = body;
    const literal = /^"((?:[^"\\]|\\.)*)"\s*/.exec(rest);
    if (literal && generationPrompt !== "" && unescape(literal[1]!) === generationPrompt) rest = rest.slice(literal[0].length);
    rest = rest.replace(/^(space\s+)?until-\d+\?\s+/, "$1");
    return `root ::= ${rest}`;
  });
}

/** A GBNF string literal's text. */
function unescape(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_match, code: string) => {
    switch (code[0]) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "x":
      case "u":
        return String.fromCharCode(parseInt(code.slice(1), 16));
      default:
        return code;
    }
  });
}
