// How long the decode threads of the contexts made from now on poll for the next decode before they
// sleep: 0-100, llama-server's --poll. Patch 1's threadpool reads it from the environment
// (NODE_LLAMA_CPP_THREADPOOL_POLL) as each context makes its pool; it is set here, in C, because
// Bun's process.env never reaches the C environment.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "napi.h"

namespace {

constexpr const char * POLL_VARIABLE = "NODE_LLAMA_CPP_THREADPOOL_POLL";

// oserveSetThreadpoolPoll(level): set where it differs, so that a context loading on another thread
// reads it while nothing writes it (the level is the server's, the same for every model).
Napi::Value SetThreadpoolPoll(const Napi::CallbackInfo & info) {
    auto env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
        Napi::TypeError::New(env, "oserveSetThreadpoolPoll(level)").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    const auto level = std::to_string(std::clamp(info[0].As<Napi::Number>().Int32Value(), 0, 100));
    const char * current = std::getenv(POLL_VARIABLE);
    if (current != nullptr && std::strcmp(current, level.c_str()) == 0) {
        return env.Undefined();
    }
#ifdef _WIN32
    _putenv_s(POLL_VARIABLE, level.c_str());
#else
    setenv(POLL_VARIABLE, level.c_str(), 1);
#endif
    return env.Undefined();
}

}  // namespace

void oserveThreadpoolPollInit(Napi::Object exports) {
    exports.Set("oserveSetThreadpoolPoll", Napi::Function::New(exports.Env(), SetThreadpoolPoll, "oserveSetThreadpoolPoll"));
}
