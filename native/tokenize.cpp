// A model's tokenizer run on libuv's thread pool: a long prompt (a 10 MB body is some 1.5 million
// tokens, seconds of work) never holds up the event loop, other requests' answers and /health.
// node-llama-cpp's own tokenize runs on the main thread. Same call as its (common_tokenize with no
// beginning token added), so the tokens are the same.
#include <cstring>
#include <string>
#include <vector>

#include "napi.h"
#include "common.h"
#include "AddonModel.h"

namespace {

/** One tokenization; the model's JS object is held until it is done. */
class TokenizeWorker : public Napi::AsyncWorker {
  public:
    TokenizeWorker(Napi::Env env, Napi::Object model, std::string text, bool parseSpecial)
        : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)), holder(Napi::Persistent(model)),
          vocab(Napi::ObjectWrap<AddonModel>::Unwrap(model)->vocab), text(std::move(text)), parseSpecial(parseSpecial) {}

    Napi::Promise::Deferred deferred;

    void Execute() override {
        try {
            tokens = common_tokenize(vocab, text, false, parseSpecial);
        } catch (const std::exception & error) {
            SetError(error.what());
        }
    }

    void OnOK() override {
        // One copy into the array's memory (llama_token is an int32_t; ids are never negative).
        static_assert(sizeof(llama_token) == sizeof(uint32_t), "token ids are 32 bits");
        auto buffer = Napi::ArrayBuffer::New(Env(), tokens.size() * sizeof(uint32_t));
        if (!tokens.empty()) std::memcpy(buffer.Data(), tokens.data(), buffer.ByteLength());
        deferred.Resolve(Napi::Uint32Array::New(Env(), tokens.size(), buffer, 0));
    }

    void OnError(const Napi::Error & error) override { deferred.Reject(error.Value()); }

  private:
    Napi::ObjectReference holder;
    const llama_vocab * vocab;
    std::string text;
    bool parseSpecial;
    std::vector<llama_token> tokens;
};

// oserveTokenize(addonModel, text, parseSpecial) → Promise<Uint32Array>
Napi::Value Tokenize(const Napi::CallbackInfo & info) {
    auto env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsString() || !info[2].IsBoolean()) {
        Napi::TypeError::New(env, "oserveTokenize(model, text, parseSpecial)").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    auto model = info[0].As<Napi::Object>();
    if (Napi::ObjectWrap<AddonModel>::Unwrap(model)->vocab == nullptr) {
        Napi::Error::New(env, "Model is disposed").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    auto * worker = new TokenizeWorker(env, model, info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::Boolean>().Value());
    auto promise = worker->deferred.Promise();
    worker->Queue();
    return promise;
}

}  // namespace

void oserveTokenizeInit(Napi::Object exports) {
    exports.Set("oserveTokenize", Napi::Function::New(exports.Env(), Tokenize, "oserveTokenize"));
}
