"""Fixtures for the studio tests: the shared novels (skipped when absent) and a small novel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
NOVELS = DATA / "novels"


def novel_path(name: str) -> Path:
    """Path of a shared novel, skipping the test when the data folder is absent."""
    path = NOVELS / f"{name}.txt"
    if not path.is_file():
        pytest.skip(f"shared novel {path} not present (clone shared/ next to the repo)")
    return path


def novel_head(name: str, chapters: int) -> str:
    """The first ``chapters`` chapters of a shared novel (a fast default-test input)."""
    text = novel_path(name).read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"(?m)^\s*第\S{1,6}回", text)]
    return text[: starts[chapters]] if len(starts) > chapters else text


_NAMES = ("孙悟空", "唐僧", "猪八戒", "沙僧")
_SAYINGS = (
    "师父快走！前面有妖怪！",
    "你这泼猴休得无礼！",
    "俺老孙去去就来。",
    "大师兄，师父被妖精捉去了！",
    "莫怕，待我打他一棒！",
    "原来是你这妖精假扮的！",
    "徒弟啊，我们几时才到西天？",
    "这山好生凶险。",
    "哥哥，分了行李散伙罢！",
    "休要胡说，快随我去救师父！",
    "谁知那妖精早有防备。",
    "好大胆的和尚！",
)
_PLACES = ("山前", "洞口", "河边", "林中", "庙里", "城外", "岭上", "桥头", "村口", "寺外")
_ACTIONS = (
    "悟空跳上云头四下张望。",
    "八戒扛着钉耙走在后面。",
    "唐僧下马坐在石上歇息。",
    "一阵狂风卷走了唐僧。",
    "沙僧挑着担子紧紧跟随。",
    "妖精现了原形扑将过来。",
    "悟空举起金箍棒劈头就打。",
    "众人连夜赶路不敢停歇。",
)


@pytest.fixture
def small_novel_text() -> str:
    """A synthetic 12-chapter novel with dialogue, verse and a closing formula per chapter."""
    out = ["《测试记》无名氏", ""]
    numerals = "一二三四五六七八九十"
    for chapter in range(12):
        label = numerals[chapter] if chapter < 10 else "十" + numerals[chapter - 10]
        out.append(f"第{label}回 山前遇怪第{chapter + 1}难 师徒同心破妖关")
        out.append("    诗曰：青山隐隐水迢迢，秋尽江南草未凋。二十四桥明月夜，玉人何处教吹箫。")
        for k in range(30):
            speaker = _NAMES[(k + chapter) % 4]
            place = _PLACES[(k + chapter) % len(_PLACES)]
            saying = _SAYINGS[(k * 7 + chapter) % len(_SAYINGS)]
            action = _ACTIONS[(k + 3 * chapter) % len(_ACTIONS)]
            out.append(f"    {place}，{action}{speaker}道：“{place}{saying}”")
        out.append("    毕竟不知唐僧性命如何，且听下回分解。")
    return "\n".join(out)
