// Prometheus metrics from prom-client (its own registry, not the process-global one).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EngineLoad } from "../engine/types.ts";
import type { PoolEvent } from "../models/pool-types.ts";
import type { KeepaliveMode } from "../stream/keepalive-policy.ts";
import type { Outcome, RequestRecord } from "./request-record.ts";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** What /metrics shows of each model. */
export interface ModelGauges {
  name: string;
  loaded: boolean;
  /** Threads its decodes take now; null: not loaded. */
  decodeThreads: number | null;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "oserve_requests_total", help: "Requests by route, status and the model that served them (none: no model label)", labelNames: ["route", "status", "model"], registers: [this.registry] });
  private readonly promptTokens = new Counter({ name: "oserve_prompt_tokens_total", help: "Prompt tokens of finished generations, by route and model", labelNames: ["route", "model"], registers: [this.registry] });
  private readonly draftTokens = new Counter({ name: "oserve_draft_tokens_total", help: "Tokens speculative decoding drafted and verified (--spec-type), by model", labelNames: ["model"], registers: [this.registry] });
  private readonly acceptedDraftTokens = new Counter({ name: "oserve_draft_accepted_tokens_total", help: "Of the drafted tokens, those the model wrote: each one a decode saved", labelNames: ["model"], registers: [this.registry] });
  private readonly cachedTokens = new Counter({ name: "oserve_cached_prompt_tokens_total", help: "Prompt tokens reused from a sequence, not evaluated again", labelNames: ["route"], registers: [this.registry] });
  private readonly completionTokens = new Counter({ name: "oserve_completion_tokens_total", help: "Generated tokens, by route and model", labelNames: ["route", "model"], registers: [this.registry] });
  private readonly reasoningTokens = new Counter({ name: "oserve_reasoning_tokens_total", help: "Generated tokens a thinking model spent on its thought", labelNames: ["route"], registers: [this.registry] });
  private readonly ttft = new Histogram({ name: "oserve_time_to_first_token_seconds", help: "From the request to its first generated token", labelNames: ["route"], buckets: SECONDS, registers: [this.registry] });
  private readonly duration = new Histogram({ name: "oserve_request_duration_seconds", help: "From the request to the end of its response", labelNames: ["route"], buckets: SECONDS, registers: [this.registry] });
  private readonly keepalives = new Counter({ name: "oserve_keepalives_total", help: "Keepalives sent, by mode (json: spaces before a non-streamed answer)", labelNames: ["mode"], registers: [this.registry] });
  private readonly disconnects = new Counter({ name: "oserve_client_disconnects_total", help: "Requests whose client left before the answer was over", registers: [this.registry] });
  private readonly inFlight = new Gauge({ name: "oserve_requests_in_flight", help: "Requests begun and not yet over (queued, generating, embedding, streaming), by route", labelNames: ["route"], registers: [this.registry] });
  private readonly aborted = new Counter({ name: "oserve_generations_aborted_total", help: "Generations stopped before their end (client gone, server stopping)", registers: [this.registry] });

  private readonly modelLoads = new Counter({ name: "oserve_model_loads_total", help: "Model loads, by model and result (ok, failed)", labelNames: ["model", "result"], registers: [this.registry] });
  private readonly modelLoadSeconds = new Histogram({ name: "oserve_model_load_seconds", help: "How long a model took to load (a place made for it included)", labelNames: ["model"], buckets: SECONDS, registers: [this.registry] });
  private readonly modelUnloads = new Counter({ name: "oserve_model_unloads_total", help: "Models unloaded, by reason: max_models and memory (evicted for another), idle, shutdown", labelNames: ["model", "reason"], registers: [this.registry] });

  constructor(load: () => EngineLoad | null, models: () => ModelGauges[] = () => []) {
    new Gauge({
      name: "oserve_model_loaded",
      help: "1 for each model loaded now, 0 for one not loaded",
      labelNames: ["model"],
      registers: [this.registry],
      collect() {
        for (const model of models()) this.set({ model: model.name }, model.loaded ? 1 : 0);
      },
    });
    new Gauge({
      name: "oserve_decode_threads",
      help: "Threads each loaded model's decodes take now: at most --threads, fewer while other processes keep the cores busy",
      labelNames: ["model"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const model of models()) if (model.decodeThreads !== null) this.set({ model: model.name }, model.decodeThreads);
      },
    });
    const loopDelay = eventLoopMonitor();
    if (loopDelay) {
      new Gauge({
        name: "oserve_event_loop_delay_max_seconds",
        help: "The longest the event loop was held since the server started (any request, a load, a collection); on Bun and Deno, measured by a 10 ms timer's lateness",
        registers: [this.registry],
        collect() {
          this.set(loopDelay.max / 1e9);
        },
      });
    }
    new Gauge({ name: "oserve_slots", help: "Sequences (parallel slots)", registers: [this.registry], collect() { this.set(load()?.slots ?? 0); } });
    new Gauge({ name: "oserve_slots_in_use", help: "Sequences generating now", registers: [this.registry], collect() { this.set(load()?.slotsInUse ?? 0); } });
    new Gauge({ name: "oserve_queue_depth", help: "Requests waiting for a sequence", registers: [this.registry], collect() { this.set(load()?.queued ?? 0); } });
    const cache = () => load()?.promptCache;
    new Gauge({ name: "oserve_prompt_cache_entries", help: "Prompts kept beyond the sequences (--cache-ram, --cache-dir)", registers: [this.registry], collect() { this.set(cache()?.entries ?? 0); } });
    new Gauge({ name: "oserve_prompt_cache_bytes", help: "Bytes of the prompts kept beyond the sequences", registers: [this.registry], collect() { this.set(cache()?.bytes ?? 0); } });
    new Gauge({ name: "oserve_prompt_cache_restores", help: "Times a kept prompt was loaded back into a sequence, since the start", registers: [this.registry], collect() { this.set(cache()?.restores ?? 0); } });
    new Gauge({ name: "oserve_prompt_cache_restored_tokens", help: "Prompt tokens loaded back from kept prompts instead of evaluated, since the start", registers: [this.registry], collect() { this.set(cache()?.restoredTokens ?? 0); } });
  }

  /** A request has begun; requestEnded ends it. `route` is the route pattern, never the raw path. */
  requestBegun(route: string): void {
    this.inFlight.inc({ route });
  }

  /** A request begun never got to its end (its handler threw past hono's error handler). */
  requestAbandoned(route: string): void {
    this.inFlight.dec({ route });
  }

  /** A request is over: its counts, tokens and timings; `inFlight`: it was counted as begun. */
  requestEnded(route: string, status: number, record: RequestRecord, durationMs: number, inFlight = true): void {
    if (inFlight) this.inFlight.dec({ route });
    // A request no model served (health, metrics, a 404) has no model label.
    const model = record.model === null ? {} : { model: record.model };
    this.requests.inc({ route, status: String(status), ...model });
    this.duration.observe({ route }, durationMs / 1000);
    if (record.ttftMs !== null) this.ttft.observe({ route }, record.ttftMs / 1000);
    if (record.promptTokens !== null) this.promptTokens.inc({ route, ...model }, record.promptTokens);
    if (record.cachedTokens) this.cachedTokens.inc({ route }, record.cachedTokens);
    if (record.completionTokens !== null) this.completionTokens.inc({ route, ...model }, record.completionTokens);
    if (record.reasoningTokens) this.reasoningTokens.inc({ route }, record.reasoningTokens);
    if (record.draftTokens) this.draftTokens.inc({ ...model }, record.draftTokens);
    if (record.acceptedDraftTokens) this.acceptedDraftTokens.inc({ ...model }, record.acceptedDraftTokens);
    if (record.outcome === ("client_gone" satisfies Outcome)) this.disconnects.inc();
  }

  /** A model loaded, failed to load, or was unloaded. */
  modelEvent(event: PoolEvent): void {
    if (event.type === "unloaded") return void this.modelUnloads.inc({ model: event.name, reason: event.reason });
    this.modelLoads.inc({ model: event.name, result: event.type === "loaded" ? "ok" : "failed" });
    this.modelLoadSeconds.observe({ model: event.name }, event.seconds);
  }

  keepaliveSent(mode: KeepaliveMode | "json"): void {
    this.keepalives.inc({ mode });
  }

  generationAborted(): void {
    this.aborted.inc();
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The event loop's delay histogram (10 ms resolution), or null where the runtime has none (Bun, Deno). */
function eventLoopMonitor(): { max: number } | null {
  // Bun's and Deno's monitorEventLoopDelay exist but measure nothing useful (a 100 ms block read as
  // 0.45 ms and 2 µs): the timer's lateness stands in for them.
  if ("Bun" in globalThis || "Deno" in globalThis) return lateTimer();
  try {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    return histogram;
  } catch {
    return lateTimer();
  }
}

/**
 * Where perf_hooks has no delay monitor (Bun, Deno): a timer every 10 ms, and how late each tick came
 * (in nanoseconds, as the monitor's max), which is what the event loop was held for. Unref'd: it keeps
 * no process alive.
 */
function lateTimer(): { max: number } | null {
  if (typeof setInterval !== "function") return null;
  const state = { max: 0 };
  const every = 10;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    state.max = Math.max(state.max, (now - last - every) * 1e6);
    last = now;
  }, every);
  (timer as { unref?: () => void }).unref?.();
  return state;
}
