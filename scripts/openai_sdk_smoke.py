"""The official openai SDK against Spotter's OpenAI-compatible API; exits non-zero on the first mismatch."""
import sys

import openai
from openai import OpenAI

base = sys.argv[1].rstrip("/") + "/v1"
# The SDK sends the key as `Authorization: Bearer KEY`; a server with authentication off ignores it.
api_key = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else "not-needed"
client = OpenAI(base_url=base, api_key=api_key, max_retries=0, timeout=120)
question = "What can I do for my hamstrings with only a kettlebell?"


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


models = [model.id for model in client.models.list()]
check("spotter" in models, f"models.list() should include 'spotter', got {models}")
print(f"models: {models}")

completion = client.chat.completions.create(model="spotter", messages=[{"role": "user", "content": question}])
choice = completion.choices[0]
check(completion.object == "chat.completion", f"object is {completion.object!r}")
check(completion.id.startswith("chatcmpl-"), f"id is {completion.id!r}")
check(choice.message.role == "assistant" and choice.message.content, "the message has no assistant content")
check(choice.finish_reason == "stop", f"finish_reason is {choice.finish_reason!r}")
check(completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens, "usage does not add up")
extra = (completion.model_extra or {}).get("spotter") or {}
check(extra.get("citations"), "the spotter field carries no citations")
print(f"non-stream: {len(choice.message.content)} characters, {len(extra['citations'])} citations, model {extra.get('model')}")

text, finish, usage, chunks = "", None, None, 0
stream = client.chat.completions.create(model="spotter", messages=[{"role": "user", "content": question}],
                                        stream=True, stream_options={"include_usage": True})
for chunk in stream:
    chunks += 1
    check(chunk.object == "chat.completion.chunk", f"chunk object is {chunk.object!r}")
    if chunk.choices:
        text += chunk.choices[0].delta.content or ""
        finish = chunk.choices[0].finish_reason or finish
    if chunk.usage:
        usage = chunk.usage
check(text.strip(), "the stream carried no text")
check(finish == "stop", f"the stream finished with {finish!r}")
check(usage is not None, "no usage chunk although include_usage was asked")
# The same question again is usually a cache hit, which spends (and reports) no tokens.
check(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, "the stream's usage does not add up")
print(f"stream: {chunks} chunks, {len(text)} characters")

try:
    client.chat.completions.create(model="no-such-assistant", messages=[{"role": "user", "content": question}])
    check(False, "an unknown model should fail")
except openai.NotFoundError as error:
    print(f"unknown model: 404 as expected ({error.message[:60]}…)")

if api_key != "not-needed":
    wrong = OpenAI(base_url=base, api_key="spk_" + "A" * 43, max_retries=0, timeout=30)
    try:
        wrong.chat.completions.create(model="spotter", messages=[{"role": "user", "content": question}])
        check(False, "an unknown key should be refused")
    except openai.AuthenticationError as error:
        print(f"unknown key: 401 as expected ({error.message[:60]}…)")

print("openai-sdk-smoke: OK")
