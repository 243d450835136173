"""Scripts for ``studio make``: from a topic, a finished script or a product brief.

A topic is written into a script by the configured LLM (asked for JSON: a title and
sentences totalling about ``target_s`` of speech) or, with no LLM, by an offline template
engine that says so in its result (``script_source: "template"``). A given script is used
as written; a product brief becomes ad copy (the ad studio's templates) padded to length.
Every sentence becomes its own scene, so each gets its own visual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from laotie.core.errors import InvalidInput, ProviderResponseError
from laotie.studio.ad.brief import ProductBrief
from laotie.studio.ad.copywriter import template_copies
from laotie.studio.providers.llm import LLMProvider
from laotie.studio.render.script import NarrationScript, Scene, script_from_text
from laotie.studio.render.subtitles import shorten
from laotie.studio.tts.text import split_sentences

ScriptSource = Literal["llm", "template", "given", "brief"]
#: spoken characters per second by engine (measured: espeak-ng's pinyin voice at 165 wpm
#: speaks ~3.6 characters of template text a second; cloud neural voices ~4.5)
CHARS_PER_S = {"espeak": 3.6, "openai": 4.5, "azure": 4.5, "volcengine": 4.5}
MAX_TOPIC_CHARS = 200

_HOOKS = (
    "今天聊聊{topic}，看完这条视频你就明白了。",
    "关于{topic}，很多人都想错了。",
    "三分钟带你搞懂{topic}。",
    "你真的了解{topic}吗？",
    "{topic}，到底值不值得关注？",
    "老铁们，今天说一说{topic}。",
)
_BODY = (
    "先说最重要的一点，{topic}和我们的日常生活息息相关。",
    "很多人第一次接触{topic}，都会觉得有点复杂。",
    "其实只要抓住关键，{topic}并没有想象中那么难。",
    "第一步，先弄清楚{topic}到底解决什么问题。",
    "第二步，看看身边的人是怎么做的，少走弯路。",
    "第三步，从一件小事开始，亲自试一试。",
    "有一个常见的误区，就是只看表面不看细节。",
    "真正有用的经验，往往来自一次次的实践。",
    "如果时间有限，就先把最重要的那件事做好。",
    "别忘了记录下自己的变化，坚持一段时间再回头看。",
    "遇到问题的时候，不妨换个角度重新思考。",
    "数据和事实，永远比道听途说更可靠。",
    "和朋友一起交流，常常能得到意想不到的启发。",
    "慢慢来，比较快，积累会给你最好的回报。",
    "把复杂的事情拆成小步骤，每一步都清清楚楚。",
    "最后，保持好奇心，{topic}还有很多值得探索的地方。",
)
_CLOSINGS = (
    "觉得有用的话，记得点赞关注，我们下期再见。",
    "你对{topic}有什么看法？欢迎在评论区告诉我。",
    "收藏这条视频，需要的时候随时拿出来看看。",
    "关注我，带你了解更多实用知识。",
)


@dataclass(frozen=True)
class MadeScript:
    """A script for one variant and where it came from."""

    script: NarrationScript
    source: ScriptSource


def estimate_seconds(sentences: list[str], *, chars_per_s: float) -> float:
    """Speaking time of ``sentences`` at ``chars_per_s`` plus the gaps between them (s)."""
    return sum(len(s) for s in sentences) / chars_per_s + 0.25 * len(sentences) + 0.15


def _one_per_scene(title: str, sentences: list[str]) -> NarrationScript:
    scenes = tuple(Scene(str(i + 1), (s,)) for i, s in enumerate(sentences))
    if not scenes:
        raise InvalidInput("the script is empty", field="script", limit=">= 1 sentence")
    return NarrationScript(shorten(title, max_chars=30), scenes)


def _fill(
    opening: list[str], body: list[str], closing: str, *, target_s: float, chars_per_s: float
) -> list[str]:
    """Opening, then body sentences in order until the closing would end near ``target_s``."""
    sentences = list(opening)
    for sentence in body:
        if estimate_seconds([*sentences, sentence, closing], chars_per_s=chars_per_s) > target_s:
            break
        sentences.append(sentence)
    return [*sentences, closing]


def check_topic(topic: str) -> str:
    """The topic, stripped; ``InvalidInput`` when empty or longer than 200 characters."""
    topic = " ".join(topic.split())
    if not topic:
        raise InvalidInput("the topic is empty", field="topic", limit="1-200 characters")
    if len(topic) > MAX_TOPIC_CHARS:
        raise InvalidInput(
            f"the topic has {len(topic)} characters", field="topic", limit=MAX_TOPIC_CHARS
        )
    return topic


def template_script(topic: str, *, target_s: float, variant: int, chars_per_s: float) -> MadeScript:
    """The offline template engine: a hook, body steps and a closing about ``topic``; each
    variant opens, orders and closes differently."""
    topic = check_topic(topic).rstrip("。！？!?")
    values = {"topic": topic}
    hook = _HOOKS[variant % len(_HOOKS)].format(**values)
    shift = (variant * 5) % len(_BODY)
    body = [t.format(**values) for t in (*_BODY[shift:], *_BODY[:shift])]
    closing = _CLOSINGS[variant % len(_CLOSINGS)].format(**values)
    sentences = _fill([hook], body, closing, target_s=target_s, chars_per_s=chars_per_s)
    return MadeScript(_one_per_scene(topic, sentences), "template")


def brief_script(
    brief: ProductBrief, *, target_s: float, variant: int, chars_per_s: float
) -> MadeScript:
    """Ad copy from the brief (one copy variant per video), padded with template steps."""
    copies = template_copies(brief)
    copy = copies[variant % len(copies)]
    topic = f"{brief.brand}{brief.name}"
    lines = copy.sentences
    padding = [t.format(topic=topic) for t in _BODY[variant % 3 :: 3]]
    sentences = _fill(lines[:-1], padding, lines[-1], target_s=target_s, chars_per_s=chars_per_s)
    return MadeScript(_one_per_scene(copy.title, sentences), "brief")


def given_script(text: str, *, max_chars: int, title: str = "") -> MadeScript:
    """A finished script, used as written (one scene per sentence)."""
    parsed = script_from_text(text, title=title, max_chars=max_chars)
    return MadeScript(_one_per_scene(parsed.title, parsed.sentences), "given")


_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "sentences": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title", "sentences"],
}


def llm_script(
    topic: str, llm: LLMProvider, *, target_s: float, variant: int, chars_per_s: float
) -> MadeScript:
    """A script written by the LLM for about ``target_s`` of speech; cut at a sentence end
    if it runs long."""
    topic = check_topic(topic)
    chars = round((target_s - 1) * chars_per_s * 0.9)
    angles = ("科普讲解", "故事叙述", "清单盘点", "问答对话", "避坑指南", "亲身体验")
    prompt = (
        f"为短视频写一段中文口播文案，主题：{topic}。角度：{angles[variant % len(angles)]}。"
        f"总字数约{chars}字，分成8到14句，每句不超过30字，第一句是吸引人的开场，"
        "最后一句引导点赞关注。只输出JSON：title(不超过15字)和sentences。"
    )
    answer = llm.chat(
        [
            {"role": "system", "content": "你是短视频编导，文案口语化、具体、不夸大。"},
            {"role": "user", "content": prompt},
        ],
        json_schema=_SCHEMA,
        schema_name="video_script",
        temperature=0.8,
    )
    try:
        data = json.loads(answer.content)
        title = str(data["title"]).strip() or topic
        raw = [str(s) for s in data["sentences"] if str(s).strip()]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderResponseError(f"LLM script is not the JSON asked for: {exc}") from exc
    sentences = [p for s in raw for p in split_sentences(s, max_chars=40)]
    if not sentences:
        raise ProviderResponseError("LLM gave an empty script")
    kept = sentences[:1]
    for sentence in sentences[1:]:
        if estimate_seconds([*kept, sentence], chars_per_s=chars_per_s) > target_s * 1.15:
            break
        kept.append(sentence)
    return MadeScript(_one_per_scene(title, kept), "llm")
