"""The micro-drama format's rules, shared by the engines (which follow them) and review.

Numbers are the format's: episodes of 1-3 minutes, a hook inside the first 10 seconds,
1-3 scenes and 22-38 lines per episode, an end hook of one of four types paid off within
two episodes, a mini-climax every third episode early on, and the first paywall in
episodes 8-16 at the strongest hook. Durations come from a Mandarin speaking rate.
"""

from __future__ import annotations

import re

from laotie.studio.writer.model import END_HOOK_TYPES

MIN_EPISODE_S = 60.0
MAX_EPISODE_S = 180.0
HOOK_WITHIN_S = 10.0
MIN_SCENES, MAX_SCENES = 1, 3
MIN_LINES, MAX_LINES = 22, 38
PAYOFF_WITHIN = 2
MINI_CLIMAX_EVERY = 3
PAYWALL_FIRST, PAYWALL_LAST = 8, 16
#: the length an episode aims at, seconds (the offline engine's target; review measures against it)
TARGET_EPISODE_S = 105.0
#: the paywall episode's end hook needs at least this much suspense (see ``suspense``)
PAYWALL_MIN_SUSPENSE = 2.0
#: Mandarin dialogue is spoken at about 4 characters a second (240 per minute)
SPEECH_CHARS_PER_S = 4.0
#: a pause between spoken lines, seconds
LINE_PAUSE_S = 0.6
#: stage directions are shown, not read: a minimum and a reading pace
ACTION_MIN_S = 2.0
ACTION_CHARS_PER_S = 5.0
_PUNCT = re.compile(r"[\s，。！？；：、“”‘’「」（）《》…—,.!?;:()\"'-]")

_HOOK_WORDS: dict[str, tuple[str, ...]] = {
    "冲突卡点": (
        "打",
        "杀",
        "战",
        "斗",
        "喝",
        "怒",
        "拿",
        "擒",
        "砍",
        "刀",
        "枪",
        "棒",
        "骂",
        "拦",
        "夺",
        "抢",
        "反",
        "逼",
        "闹",
    ),
    "信息反转": (
        "原来",
        "却是",
        "竟",
        "不料",
        "谁知",
        "识破",
        "假",
        "真",
        "才知",
        "不想",
        "那知",
        "哪知",
        "岂知",
        "原是",
        "认得",
        "现了本相",
        "露出",
    ),
    "危机升级": (
        "妖",
        "围",
        "困",
        "危",
        "急",
        "死",
        "病",
        "捉",
        "追",
        "灾",
        "祸",
        "凶",
        "害",
        "吃",
        "陷",
        "毒",
        "血",
        "伤",
        "险",
        "难",
    ),
    "情感抉择": (
        "哭",
        "泪",
        "情",
        "爱",
        "舍",
        "别",
        "愿",
        "不肯",
        "心",
        "想",
        "念",
        "恨",
        "悔",
        "苦",
        "恩",
        "义",
        "亲",
        "娶",
        "嫁",
    ),
}


#: a chapter's stock closer (且听下回分解, 毕竟不知…) is the storyteller's, never a hook
STOCK_CLOSER = re.compile(
    r"下回分解|且听|毕竟|未知.{0,20}如何|不知.{0,20}(?:如何|怎生|性命)|要知端的|正是"
)
#: a threat or danger spoken or shown
_THREAT = (
    "杀",
    "斩",
    "拿",
    "捉",
    "擒",
    "吃",
    "死",
    "休走",
    "饶",
    "看棍",
    "看刀",
    "看枪",
    "救命",
    "不好了",
    "祸事",
    "害",
    "围",
    "追",
)
#: a reveal: what was hidden comes out
_REVEAL = (
    "原来",
    "却是",
    "竟是",
    "不料",
    "谁知",
    "识破",
    "现了本相",
    "才知",
    "那知",
    "岂知",
    "乃是",
)


def suspense(text: str, *, dialogue: bool) -> float:
    """How much a line leaves the audience waiting: a question, a threat or a reveal (0: none).

    A stock chapter closer scores 0 whatever it says.
    """
    if STOCK_CLOSER.search(text):
        return 0.0
    value = 2.0 if dialogue and "？" in text else 0.0
    value += 1.5 * sum(word in text for word in _THREAT)
    value += 2.0 * sum(word in text for word in _REVEAL)
    return value + (0.5 if "！" in text and value else 0.0)


def hook_suspense(quoted: str) -> float:
    """Suspense of an outline's quoted line (``说话人：台词`` for dialogue, else an action)."""
    speaker, _, text = quoted.partition("：")
    return (
        suspense(text, dialogue=True)
        if text and len(speaker) <= 6
        else suspense(quoted, dialogue=False)
    )


def line_seconds(text: str, *, kind: str) -> float:
    """Screen time of a line: spoken at the Mandarin rate, or read as a stage direction."""
    chars = len(_PUNCT.sub("", text))
    if kind == "dialogue":
        return round(chars / SPEECH_CHARS_PER_S + LINE_PAUSE_S, 2)
    return round(max(ACTION_MIN_S, chars / ACTION_CHARS_PER_S + 1.0), 2)


def hook_scores(text: str) -> dict[str, int]:
    """Keyword evidence for each end-hook type in ``text``."""
    return {kind: sum(text.count(w) for w in words) for kind, words in _HOOK_WORDS.items()}


def classify_end_hook(text: str, *, previous: str | None = None) -> str:
    """The end-hook type ``text`` shows most evidence of (ties avoid repeating ``previous``)."""
    scores = hook_scores(text)
    best = max(scores.values())
    tied = [k for k in END_HOOK_TYPES if scores[k] == best]
    if len(tied) > 1 and previous in tied:
        tied.remove(previous)
    return tied[0] if best > 0 else ("危机升级" if previous != "危机升级" else "冲突卡点")


def intensity(text: str) -> float:
    """How charged a line is: hook keywords plus exclamations and questions."""
    return float(sum(hook_scores(text).values()) + text.count("！") + 0.5 * text.count("？"))


def early_span(episodes: int) -> int:
    """How many of the first episodes count as "early on" for the mini-climax rule."""
    return min(episodes, max(12, episodes // 3))


def mini_climax_episodes(episodes: int) -> list[int]:
    """Episodes that must be mini-climaxes: every third one within the early span."""
    return list(range(MINI_CLIMAX_EVERY, early_span(episodes) + 1, MINI_CLIMAX_EVERY))


def paywall_window(episodes: int) -> range:
    """Episodes eligible for the first paywall (empty when the series is too short)."""
    last = min(PAYWALL_LAST, episodes - 1)
    return range(PAYWALL_FIRST, last + 1) if last >= PAYWALL_FIRST else range(0)


def place_paywall(strengths: list[float]) -> int | None:
    """1-based episode of the first paywall: the strongest hook in the window, earliest on ties."""
    window = paywall_window(len(strengths))
    if not window:
        return None
    return max(window, key=lambda n: (strengths[n - 1], -n))
