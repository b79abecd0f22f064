#!/usr/bin/env python3
"""Golden fixture for the C++ tokenizer and chat templates (vlm/tokenizer/).

Reads tests/data/tokenizer/strings.json, encodes every string with the reference
`tokenizers` library (Rust, via Python) and writes, per string: ids, the decoded text
(decode(ids, skip_special_tokens=False)), the NFC-normalized text and the pre-tokenizer's
pieces (byte-level alphabet; for diagnosing mismatches only). When jinja2 is importable it
also renders the Qwen2-VL and LLaVA-OneVision (llava-hf) chat templates, verbatim from the
released checkpoints, over a few conversations, the way transformers does
(sandboxed, trim_blocks, lstrip_blocks; `{% generation %}` renders its body).

  python3 scripts/golden/make_tokenizer_fixture.py TOKENIZER_JSON STRINGS_JSON OUT_JSON
"""
import json
import sys

import tokenizers

# Qwen/Qwen2-VL-7B-Instruct chat_template.json (also Qwen2.5-VL).
QWEN2_VL_TEMPLATE = "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

# llava-hf/llava-onevision-qwen2-*-ov-hf chat_template (transformers'
# convert_llava_onevision_weights_to_hf.py writes it into the released checkpoints).
LLAVA_OV_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}{# Render all video then #}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>\\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] }}{% endgeneration %}{% endfor %}{% endif %}{{'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

MVBENCH_SYSTEM = ("Carefully watch the video and pay attention to the cause and sequence of events, "
                  "the detail and movement of objects, and the action and pose of persons. Based on "
                  "your observations, select the best option that accurately addresses the question.\n")
QUESTION = ("Question: What is the person doing?\nOptions:\n(A) cooking\n(B) reading\n(C) running\n"
            "(D) sleeping\nOnly give the best option.")

CONVERSATIONS = [
    ("qwen2_vl", [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": QUESTION}]}], True),
    ("qwen2_vl", [{"role": "system", "content": MVBENCH_SYSTEM},
                  {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": QUESTION}]}], True),
    ("qwen2_vl", [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
                  {"role": "user", "content": [{"type": "text", "text": "Look: "}, {"type": "video"},
                                               {"type": "text", "text": " what happens?"}]}], True),
    ("qwen2_vl", [{"role": "user", "content": "plain string content"},
                  {"role": "assistant", "content": "an answer"},
                  {"role": "user", "content": [{"type": "image"}, {"type": "video"}, {"type": "text", "text": "and now?"}]}], False),
    ("llava_onevision", [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": QUESTION}]}], True),
    ("llava_onevision", [{"role": "system", "content": [{"type": "text", "text": MVBENCH_SYSTEM}]},
                         {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": QUESTION}]}], True),
    ("llava_onevision", [{"role": "user", "content": [{"type": "text", "text": "Text first, "},
                                                      {"type": "video"}, {"type": "text", "text": "then more."}]}], True),
    ("llava_onevision", [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]},
                         {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
                         {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "and?"}]}], False),
]


def render_templates():
    try:
        import jinja2
        from jinja2 import nodes
        from jinja2.ext import Extension, loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError as err:
        print(f"jinja2 unavailable, skipping chat templates: {err}", file=sys.stderr)
        return None

    class GenerationTag(Extension):
        # transformers' AssistantTracker only records spans; the text renders unchanged.
        tags = {"generation"}

        def parse(self, parser):
            next(parser.stream)
            return parser.parse_statements(("name:endgeneration",), drop_needle=True)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, loopcontrols])
    templates = {"qwen2_vl": env.from_string(QWEN2_VL_TEMPLATE),
                 "llava_onevision": env.from_string(LLAVA_OV_TEMPLATE)}
    out = []
    for name, messages, add_generation_prompt in CONVERSATIONS:
        text = templates[name].render(messages=messages, add_generation_prompt=add_generation_prompt)
        out.append({"format": name, "messages": messages,
                    "add_generation_prompt": add_generation_prompt, "text": text})
    return {"jinja2_version": jinja2.__version__, "renders": out}


def main():
    tokenizer_json, strings_json, out_json = sys.argv[1:4]
    tok = tokenizers.Tokenizer.from_file(tokenizer_json)
    strings = json.load(open(strings_json, encoding="utf-8"))
    cases = []
    for text in strings:
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "normalized": tok.normalizer.normalize_str(text) if tok.normalizer else text,
            "pieces": [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(text)],
        })
    result = {"tokenizers_version": tokenizers.__version__, "cases": cases,
              "chat_templates": render_templates()}
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=True, indent=1)
    print(f"wrote {len(cases)} cases with tokenizers {tokenizers.__version__}")


if __name__ == "__main__":
    main()
