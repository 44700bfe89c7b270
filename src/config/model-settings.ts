// PURE: one model's settings from the value each setting takes for it (its own table's, else the
// server's flags, env, file and defaults).
import { CHAT_TEMPLATES } from "../engine/chat-templates.ts";
import type { ModelSettingFlag } from "./flags.ts";
import type { ModelSettings } from "./types.ts";
import { integer, number, oneOf, onOff } from "./values.ts";

export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high"] as const;
export const SPEC_TYPES = ["ngram", "none"] as const;

export function modelSettings(value: (flag: ModelSettingFlag) => string | undefined): ModelSettings {
  const ctxSize = value("ctx-size");
  const maxTokens = value("max-tokens");
  const threads = value("threads");
  const gpuLayers = value("gpu-layers");
  const effort = value("reasoning-effort");
  const budget = value("reasoning-budget");
  return {
    ctxSize: ctxSize === undefined ? null : integer("ctx-size", ctxSize, { min: 16 }),
    maxTokens: maxTokens === "-1" ? null : integer("max-tokens", maxTokens, { min: 1 }),
    threads: threads === undefined ? null : integer("threads", threads, { min: 1 }),
    gpuLayers: gpuLayers === undefined || gpuLayers === "auto" ? "auto" : integer("gpu-layers", gpuLayers, { min: 0 }),
    repack: onOff("repack", value("repack")),
    parallel: integer("parallel", value("parallel"), { min: 1, max: 256 }),
    maxQueue: integer("max-queue", value("max-queue"), { min: 0 }),
    reasoningEffort: effort === undefined ? null : oneOf("reasoning-effort", effort, REASONING_EFFORTS),
    reasoningBudget: budget === "-1" ? null : integer("reasoning-budget", budget, { min: 0 }),
    temperature: number("temp", value("temp"), { min: 0, max: 100 }),
    chatTemplate: oneOf("chat-template", value("chat-template"), CHAT_TEMPLATES),
    chatTemplateFile: value("chat-template-file") ?? null,
    speculation: { type: oneOf("spec-type", value("spec-type"), SPEC_TYPES), draftMax: integer("spec-draft-n-max", value("spec-draft-n-max"), { min: 1, max: 256 }), draftModel: value("model-draft") ?? null },
  };
}
