// llama.cpp's own chat layer (common/chat.cpp, in the prebuilt's libllama-common), reached from
// JavaScript: the model's Jinja template rendered as llama-server renders it (tools, tool choice,
// thinking, template kwargs), and the model's output parsed by the same per-family parser
// llama-server streams with, as message diffs. Compiled into the engine build's addon
// (scripts/build-engine.ts); patches/node-llama-cpp/17-oserve-natives.patch calls oserveNativesInit.
// JSON crosses the boundary as text, so that this file only converts; the request's shape is worked
// out in TypeScript (src/engine/chat-layer/).
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "napi.h"
#include "chat.h"
#include "json.h"
#include "AddonModel.h"

namespace {

common_chat_tool_choice toolChoice(const std::string & name) {
    if (name == "required") return COMMON_CHAT_TOOL_CHOICE_REQUIRED;
    if (name == "none") return COMMON_CHAT_TOOL_CHOICE_NONE;
    return COMMON_CHAT_TOOL_CHOICE_AUTO;
}

common_json triggersJson(const std::vector<common_grammar_trigger> & triggers) {
    auto out = common_json::array();
    for (const auto & trigger : triggers) {
        auto item = common_json::object();
        item["type"] = static_cast<int>(trigger.type);
        item["value"] = trigger.value;
        item["token"] = static_cast<int>(trigger.token);
        out.push_back(item);
    }
    return out;
}

/** The model's chat templates (its default and tool_use variants), parsed once. */
class ChatTemplates : public Napi::ObjectWrap<ChatTemplates> {
  public:
    common_chat_templates_ptr templates;
    /** Whether the template has a thinking switch (llama.cpp renders a probe to know). */
    bool thinkingSwitch = false;

    // new ChatTemplates(addonModel, templateOverride): the model's own template unless one is given.
    ChatTemplates(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ChatTemplates>(info) {
        auto env = info.Env();
        try {
            const llama_model * model = nullptr;
            if (info.Length() > 0 && info[0].IsObject()) model = Napi::ObjectWrap<AddonModel>::Unwrap(info[0].As<Napi::Object>())->model;
            const std::string override = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
            if (model == nullptr && override.empty()) throw std::invalid_argument("a model or a template is needed");
            templates = common_chat_templates_init(model, override);
            // A rendering of its own: asked once, as llama-server asks it once at startup.
            thinkingSwitch = common_chat_templates_support_enable_thinking(templates.get());
        } catch (const std::exception & error) {
            Napi::Error::New(env, std::string("chat template: ") + error.what()).ThrowAsJavaScriptException();
        }
    }

    /** Serializes renderings: the templates are shared by every request of the model. */
    std::mutex rendering;

    // The inputs as JSON text → the chat params as JSON text: the prompt, and how to constrain and
    // parse what follows it. No JavaScript values: it runs on the main thread or a worker's.
    std::string applyJson(const std::string & text) {
        const auto body = common_json::parse(text);
        common_chat_templates_inputs inputs;
        inputs.messages = common_chat_msgs_parse_oaicompat(body.at("messages"));
        inputs.tools = common_chat_tools_parse_oaicompat(body.value("tools", common_json::array()));
        inputs.tool_choice = toolChoice(body.value("tool_choice", std::string("auto")));
        inputs.json_schema = body.value("json_schema", std::string());
        inputs.parallel_tool_calls = body.value("parallel_tool_calls", false);
        inputs.add_generation_prompt = body.value("add_generation_prompt", true);
        if (body.value("continue_final_message", false)) {
            inputs.continue_final_message = COMMON_CHAT_CONTINUATION_AUTO;
            inputs.add_generation_prompt = false;
        }
        inputs.reasoning_format = common_reasoning_format_from_name(body.value("reasoning_format", std::string("auto")));
        if (body.contains("now_ms")) {
            inputs.now = std::chrono::system_clock::time_point(std::chrono::milliseconds(body.at("now_ms").get<int64_t>()));
        }
        if (body.contains("chat_template_kwargs")) {
            const auto & kwargs = body.at("chat_template_kwargs");
            for (auto it = kwargs.begin(); it != kwargs.end(); ++it) inputs.chat_template_kwargs[it.key()] = it.value().get<std::string>();
        }
        std::lock_guard<std::mutex> lock(rendering);
        // As llama-server (server-context.cpp): thinking on only where the template has the switch.
        inputs.enable_thinking = body.value("enable_thinking", true) && thinkingSwitch;
        const auto params = common_chat_templates_apply(templates.get(), inputs);
        auto out = common_json::object();
        out["prompt"] = params.prompt;
        out["format"] = static_cast<int>(params.format);
        out["format_name"] = std::string(common_chat_format_name(params.format));
        out["grammar"] = params.grammar;
        out["grammar_lazy"] = params.grammar_lazy;
        out["grammar_triggers"] = triggersJson(params.grammar_triggers);
        out["preserved_tokens"] = params.preserved_tokens;
        out["additional_stops"] = params.additional_stops;
        out["parser"] = params.parser;
        out["generation_prompt"] = params.generation_prompt;
        out["supports_thinking"] = params.supports_thinking;
        out["thinking_start_tag"] = params.thinking_start_tag;
        out["thinking_end_tags"] = params.thinking_end_tags;
        return out.dump();
    }

    // apply(inputsJson) → paramsJson, on the main thread.
    Napi::Value Apply(const Napi::CallbackInfo & info) {
        auto env = info.Env();
        try {
            return Napi::String::New(env, applyJson(info[0].As<Napi::String>().Utf8Value()));
        } catch (const std::exception & error) {
            Napi::Error::New(env, error.what()).ThrowAsJavaScriptException();
            return env.Undefined();
        }
    }

    // applyAsync(inputsJson) → Promise<paramsJson>, rendered on libuv's thread pool: a long
    // conversation (the Jinja run and llama.cpp's template analysis take milliseconds, more with
    // its length) never holds up the event loop and the other streams' tokens.
    Napi::Value ApplyAsync(const Napi::CallbackInfo & info);

    static void init(Napi::Object exports) {
        exports.Set("OserveChatTemplates", DefineClass(exports.Env(), "OserveChatTemplates", {
            InstanceMethod("apply", &ChatTemplates::Apply),
            InstanceMethod("applyAsync", &ChatTemplates::ApplyAsync),
        }));
    }
};

/** One rendering on the thread pool; the templates' JS object is held until it is done. */
class ApplyWorker : public Napi::AsyncWorker {
  public:
    ApplyWorker(Napi::Env env, ChatTemplates * owner, Napi::Object holder, std::string inputs)
        : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)), owner(owner), holder(Napi::Persistent(holder)), inputs(std::move(inputs)) {}

    Napi::Promise::Deferred deferred;

    void Execute() override {
        try {
            result = owner->applyJson(inputs);
        } catch (const std::exception & error) {
            SetError(error.what());
        }
    }

    void OnOK() override { deferred.Resolve(Napi::String::New(Env(), result)); }

    void OnError(const Napi::Error & error) override { deferred.Reject(error.Value()); }

  private:
    ChatTemplates * owner;
    Napi::ObjectReference holder;
    std::string inputs;
    std::string result;
};

Napi::Value ChatTemplates::ApplyAsync(const Napi::CallbackInfo & info) {
    auto * worker = new ApplyWorker(info.Env(), this, info.This().As<Napi::Object>(), info[0].As<Napi::String>().Utf8Value());
    auto promise = worker->deferred.Promise();
    worker->Queue();
    return promise;
}

/** One generation's parser: the text so far, parsed again as it grows, and the message it read last. */
class ChatParser : public Napi::ObjectWrap<ChatParser> {
  public:
    common_chat_parser_params params;
    std::string text;
    common_chat_msg message;

    // new ChatParser(paramsJson): the format, parser and generation prompt from apply(), and the reasoning format.
    ChatParser(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ChatParser>(info) {
        auto env = info.Env();
        try {
            const auto body = common_json::parse(info[0].As<Napi::String>().Utf8Value());
            params.format = static_cast<common_chat_format>(body.value("format", 0));
            params.reasoning_format = common_reasoning_format_from_name(body.value("reasoning_format", std::string("auto")));
            params.generation_prompt = body.value("generation_prompt", std::string());
            params.parse_tool_calls = body.value("parse_tool_calls", true);
            const auto parser = body.value("parser", std::string());
            if (!parser.empty()) params.parser.load(parser);
        } catch (const std::exception & error) {
            Napi::Error::New(env, std::string("chat parser: ") + error.what()).ThrowAsJavaScriptException();
        }
    }

    // update(added, partial) → json [{reasoning, content, index, name, arguments}]: what the message gained.
    Napi::Value Update(const Napi::CallbackInfo & info) {
        auto env = info.Env();
        try {
            text += info[0].As<Napi::String>().Utf8Value();
            const bool partial = info[1].As<Napi::Boolean>().Value();
            auto next = common_chat_parse(text, partial, params);
            auto out = common_json::array();
            if (next.empty()) return Napi::String::New(env, out.dump());
            for (const auto & diff : common_chat_msg_diff::compute_diffs(message, next)) {
                auto item = common_json::object();
                item["reasoning"] = diff.reasoning_content_delta;
                item["content"] = diff.content_delta;
                item["index"] = diff.tool_call_index == std::string::npos ? -1 : static_cast<int>(diff.tool_call_index);
                item["name"] = diff.tool_call_delta.name;
                item["arguments"] = diff.tool_call_delta.arguments;
                out.push_back(item);
            }
            message = std::move(next);
            return Napi::String::New(env, out.dump());
        } catch (const std::exception & error) {
            Napi::Error::New(env, error.what()).ThrowAsJavaScriptException();
            return env.Undefined();
        }
    }

    static void init(Napi::Object exports) {
        exports.Set("OserveChatParser", DefineClass(exports.Env(), "OserveChatParser", {
            InstanceMethod("update", &ChatParser::Update),
        }));
    }
};

}  // namespace

void oserveTokenizeInit(Napi::Object exports);  // native/tokenize.cpp
void oserveThreadpoolPollInit(Napi::Object exports);  // native/threadpool-poll.cpp

void oserveNativesInit(Napi::Object exports) {
    ChatTemplates::init(exports);
    ChatParser::init(exports);
    oserveTokenizeInit(exports);
    oserveThreadpoolPollInit(exports);
    exports.Set("oserveChatLayer", Napi::Number::New(exports.Env(), 1));
}
