"""Export an adaptation as JSON (source of truth), Markdown and DOCX, each AIGC-labelled.

Explicit label: the notice ``本内容由AI生成`` heads every document. Implicit label: the
GB 45438-2025 fields under ``AIGC`` — a top-level JSON field, the Markdown front matter,
and the DOCX core properties (comments, keywords) plus a custom document property ``AIGC``.
``load_adaptation`` re-imports an edited JSON file, validating it and re-timing its lines.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from pydantic import ValidationError

from laotie.core.aigc import EXPLICIT_NOTICE_SHORT, METADATA_FIELD, AigcLabel, explicit_header
from laotie.core.errors import InvalidInput
from laotie.studio.writer.model import Adaptation, Line, Script
from laotie.studio.writer.rules import line_seconds

JSON_NAME = "adaptation.json"
MARKDOWN_NAME = "adaptation.md"
DOCX_NAME = "adaptation.docx"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def _label(adaptation: Adaptation) -> AigcLabel:
    return AigcLabel.from_dict(adaptation.AIGC)


def line_text(line: Line) -> str:
    """A line as printed in a script: ``△ action`` or ``speaker：dialogue``."""
    return f"{line.speaker}：{line.text}" if line.kind == "dialogue" else f"△ {line.text}"


def export_json(adaptation: Adaptation, path: Path) -> Path:
    """Write the JSON source of truth (with the top-level ``AIGC`` field)."""
    path.write_text(adaptation.model_dump_json(indent=2), encoding="utf-8")
    return path


def load_adaptation(path: Path) -> Adaptation:
    """Re-import an (edited) JSON adaptation: validate it and re-time every line."""
    if path.is_dir():
        path = path / JSON_NAME
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist", field="path")
    try:
        adaptation = Adaptation.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{path.name}: {where}: {first['msg']}", field=where) from exc
    for script in adaptation.scripts:
        retime(script)
    return adaptation


def retime(script: Script) -> None:
    """Recompute line durations, start times and the script's duration (after edits)."""
    clock = 0.0
    for line in script.lines:
        line.duration_s = line_seconds(line.text, kind=line.kind)
        line.start_s = round(clock, 2)
        clock += line.duration_s
    script.duration_s = round(clock, 1)


def render_markdown(adaptation: Adaptation) -> str:
    """The adaptation as Markdown with the implicit label in its front matter."""
    label = _label(adaptation)
    bible = adaptation.bible
    out = [
        "---",
        "AIGC: " + json.dumps(label.to_dict(), ensure_ascii=False),
        f"title: {json.dumps(adaptation.title, ensure_ascii=False)}",
        f"engine: {adaptation.engine}",
        f"episodes: {len(adaptation.outline)}",
        "---",
        "",
        f"> {explicit_header(label)}",
        f"> {adaptation.draft_notice}",
        "",
        f"# 《{adaptation.title}》微短剧改编",
        "",
        "## 故事圣经",
        "",
        f"**一句话故事**：{bible.logline}",
        "",
        f"**世界观**：{bible.world}",
        "",
        "### 人物",
        "",
        "| 人物 | 定位 | 别名 | 首次出场 | 提及 | 主要关系 |",
        "|---|---|---|---|---|---|",
    ]
    for c in bible.characters:
        relations = "、".join(f"{r.name}({r.weight})" for r in c.relations[:3])
        out.append(
            f"| {c.name} | {c.role} | {'、'.join(c.aliases) or '—'} | 第{c.first_chapter}章 "
            f"| {c.mentions} | {relations or '—'} |"
        )
    out += ["", "### 主线", ""]
    for beat in bible.main_arc:
        out.append(
            f"- **{beat.act}**（第{beat.episodes[0]}-{beat.episodes[-1]}集）：{beat.summary}"
        )
    out += [
        "",
        "## 分集大纲",
        "",
        "| 集 | 标题 | 原著章节 | 结尾钩子 | 标记 |",
        "|---|---|---|---|---|",
    ]
    for e in adaptation.outline:
        marks = "、".join(m for m, on in (("小高潮", e.mini_climax), ("付费点", e.paywall)) if on)
        chapters = f"{e.source_chapters[0]}-{e.source_chapters[-1]}"
        out.append(f"| {e.number} | {e.title} | {chapters} | {e.end_hook.type} | {marks or '—'} |")
    out += ["", "## 剧本", ""]
    for entry, script in zip(adaptation.outline, adaptation.scripts, strict=False):
        out += [
            f"### 第{script.episode}集 {script.title}（约{script.duration_s:.0f}秒）",
            "",
            f"- 钩子：{entry.hook}",
            f"- 冲突：{entry.conflict}",
            f"- 反转：{entry.twist}",
            f"- 兑现：{entry.payoff}",
            f"- 结尾钩子（{entry.end_hook.type}）：{entry.end_hook.text}",
            "",
        ]
        if entry.paywall:
            out += ["**【付费点】**", ""]
        for scene in script.scenes:
            out += [f"**{scene.heading(script.episode)}**", ""]
            out += [f"{line_text(line)}  " for line in scene.lines]
            out.append("")
    return "\n".join(out)


def export_markdown(adaptation: Adaptation, path: Path) -> Path:
    """Write the Markdown view."""
    path.write_text(render_markdown(adaptation), encoding="utf-8")
    return path


def export_docx(adaptation: Adaptation, path: Path) -> Path:
    """Write a DOCX view; the label goes into core properties and a custom property."""
    from docx import Document

    label = _label(adaptation)
    document = Document()
    props = document.core_properties
    props.title = f"《{adaptation.title}》微短剧改编"
    props.author = label.ContentProducer
    props.subject = "AIGC"
    props.keywords = f"{METADATA_FIELD}; {EXPLICIT_NOTICE_SHORT}"
    props.category = EXPLICIT_NOTICE_SHORT
    props.comments = label.to_json()
    document.add_paragraph(explicit_header(label))
    document.add_paragraph(adaptation.draft_notice)
    document.add_heading(props.title, level=0)
    bible = adaptation.bible
    document.add_heading("故事圣经", level=1)
    document.add_paragraph(f"一句话故事：{bible.logline}")
    document.add_paragraph(f"世界观：{bible.world}")
    for c in bible.characters:
        document.add_paragraph(
            f"{c.name}（{c.role}）首次出场第{c.first_chapter}章", style="List Bullet"
        )
    document.add_heading("剧本", level=1)
    for entry, script in zip(adaptation.outline, adaptation.scripts, strict=False):
        document.add_heading(f"第{script.episode}集 {script.title}", level=2)
        document.add_paragraph(f"结尾钩子（{entry.end_hook.type}）：{entry.end_hook.text}")
        if entry.paywall:
            document.add_paragraph("【付费点】")
        for scene in script.scenes:
            document.add_heading(scene.heading(script.episode), level=3)
            for line in scene.lines:
                document.add_paragraph(line_text(line))
    document.save(str(path))
    _add_custom_property(path, "AIGC", label.to_json())
    return path


def _add_custom_property(path: Path, name: str, value: str) -> None:
    """Add ``docProps/custom.xml`` with one string property (python-docx has no API for it)."""
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property fmtid="{_CUSTOM_FMTID}" pid="2" name="{escape(name)}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property></Properties>"
    )
    with zipfile.ZipFile(path) as source:
        entries = {info.filename: source.read(info.filename) for info in source.infolist()}
    types = entries["[Content_Types].xml"].decode()
    if "/docProps/custom.xml" not in types:
        types = types.replace(
            "</Types>",
            f'<Override PartName="/docProps/custom.xml" ContentType="{_CUSTOM_TYPE}"/></Types>',
        )
    rels = entries["_rels/.rels"].decode()
    if "docProps/custom.xml" not in rels:
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rIdAigcCustom" Type="{_CUSTOM_REL}" Target="docProps/custom.xml"/>'
            "</Relationships>",
        )
    entries["[Content_Types].xml"] = types.encode()
    entries["_rels/.rels"] = rels.encode()
    entries["docProps/custom.xml"] = custom.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for filename, data in entries.items():
            target.writestr(filename, data)


def read_docx_label(path: Path) -> AigcLabel:
    """The implicit label stored in a DOCX's custom property ``AIGC``."""
    import re

    with zipfile.ZipFile(path) as source:
        custom = source.read("docProps/custom.xml").decode()
    found = re.search(r'name="AIGC"><vt:lpwstr>(.*?)</vt:lpwstr>', custom, re.S)
    if not found:
        raise InvalidInput(f"{path.name} has no AIGC custom property", field="AIGC")
    from xml.sax.saxutils import unescape

    return AigcLabel.from_json(unescape(found.group(1), {"&quot;": '"'}))


def export_all(adaptation: Adaptation, out_dir: Path) -> list[Path]:
    """Write JSON, Markdown and DOCX into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        export_json(adaptation, out_dir / JSON_NAME),
        export_markdown(adaptation, out_dir / MARKDOWN_NAME),
        export_docx(adaptation, out_dir / DOCX_NAME),
    ]
