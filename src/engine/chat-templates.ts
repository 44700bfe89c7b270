/** node-llama-cpp 3.22.1's chat wrappers by name (its specializedChatWrapperTypeNames; test/config/config.test.ts checks), with auto and the GGUF's own Jinja template. */
export const CHAT_TEMPLATES = ["auto", "jinjaTemplate", "general", "deepSeek", "qwen", "llama3.2-lightweight", "llama3.1", "llama3", "llama2Chat", "mistral", "alpacaChat", "functionary", "chatML", "falconChat", "gemma4", "gemma", "harmony", "muse", "seed"] as const;

/** The chat format: "auto" (the model's own template through llama.cpp's chat layer, where the engine build has it; else node-llama-cpp's choice), "jinjaTemplate" (the GGUF's own Jinja template), or a wrapper's name. */
export type ChatTemplate = (typeof CHAT_TEMPLATES)[number];
