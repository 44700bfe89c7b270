// llama.cpp's differential analysis of a chat template, done once per template rather than once per
// request. For a template without a hand-written handler (Qwen2.5's, Qwen3's, most others),
// common_chat_templates_apply runs `autoparser::analyze_template`, which renders the template a
// dozen times with probe conversations to find its markers: some milliseconds every request, on a
// result that depends on the template alone (its source and its beginning and end tokens). This
// definition takes the place of libllama-common's (the addon comes first in the lookup scope, and
// libllama-common calls its exported functions through the PLT, as scripts/build-engine.ts
// explains for the patched llama.cpp sources): it answers from a cache, and on a miss runs the
// original, found with dlsym(RTLD_NEXT). A template whose analysis throws is not cached.
#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "chat.h"
#include "chat-auto-parser.h"

namespace {

/** Templates a process analyzes: a handful of models. */
constexpr size_t MAX_TEMPLATES = 32;

using Analysis = autoparser::autoparser;
using Analyze = void (*)(Analysis *, const common_chat_template &);

Analyze original() {
    static const Analyze found = reinterpret_cast<Analyze>(dlsym(RTLD_NEXT, "_ZN10autoparser10autoparser16analyze_templateERK20common_chat_template"));
    return found;
}

std::mutex analyses_mutex;
std::map<std::string, std::shared_ptr<const Analysis>> analyses;

}  // namespace

void autoparser::autoparser::analyze_template(const common_chat_template & tmpl) {
    const Analyze analyze = original();
    if (analyze == nullptr) throw std::runtime_error("llama.cpp's template analysis is not in libllama-common");
    const std::string key = tmpl.source() + '\0' + tmpl.bos_token() + '\0' + tmpl.eos_token();
    {
        std::lock_guard<std::mutex> lock(analyses_mutex);
        const auto found = analyses.find(key);
        if (found != analyses.end()) {
            *this = *found->second;
            return;
        }
    }
    analyze(this, tmpl);
    std::lock_guard<std::mutex> lock(analyses_mutex);
    if (analyses.size() >= MAX_TEMPLATES) analyses.erase(analyses.begin());
    analyses.emplace(key, std::make_shared<const Analysis>(*this));
}
