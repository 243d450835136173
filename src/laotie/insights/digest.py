"""The manager's daily digest: HTML for email and the API, and delivery over SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape

from laotie.core.errors import InvalidInput, ProviderError, ProviderTimeout
from laotie.insights.schemas import DigestRow

#: seconds to wait for the SMTP server before giving up on a delivery
SMTP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SmtpConfig:
    """Where digests go: an SMTP server (plain, no auth: a local relay) and the From address."""

    host: str
    port: int = 25
    sender: str = "laotie@localhost"


def render_digest_html(
    *, team_name: str, day: str, goal_minutes: int, rows: list[DigestRow]
) -> str:
    """The digest as a small self-contained HTML document (inline styles, fit for email)."""
    met = sum(r.goal_met for r in rows)
    scale = max([goal_minutes, *(r.minutes for r in rows)])
    lines = []
    for r in sorted(rows, key=lambda r: -r.minutes):
        width = int(240 * r.minutes / scale) if scale else 0
        colour = "#009E73" if r.goal_met else "#E69F00"
        mark = "✔ 达标 met" if r.goal_met else "未达标 not yet"
        lines.append(
            "<tr>"
            f'<td style="padding:6px 10px">{escape(r.display_name or r.user_id)}</td>'
            f'<td style="padding:6px 10px;text-align:right">{r.minutes:.0f}</td>'
            f'<td style="padding:6px 10px"><div style="background:{colour};height:12px;'
            f'width:{width}px;border-radius:3px"></div></td>'
            f'<td style="padding:6px 10px;color:{colour}">{mark}</td>'
            f'<td style="padding:6px 10px;text-align:right">{r.days_met_last_7}/7</td>'
            f'<td style="padding:6px 10px;text-align:right">{r.mean_minutes_last_7:.0f}</td>'
            "</tr>"
        )
    body = "".join(lines) or (
        '<tr><td colspan="6" style="padding:10px">没有可报告的成员 no members to report</td></tr>'
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(team_name)} {day}</title></head>
<body style="font-family:'WenQuanYi Micro Hei','PingFang SC',sans-serif;color:#1F2937">
<h2 style="margin:0 0 4px">{escape(team_name)} · 观看目标日报 Watch-time digest</h2>
<p style="margin:0 0 12px;color:#5B6470">{day} · 每日目标 daily goal {goal_minutes} 分钟 min ·
{met}/{len(rows)} 人达标 met the goal</p>
<table style="border-collapse:collapse;font-size:14px">
<thead><tr style="background:#F3F4F6"><th style="padding:6px 10px;text-align:left">成员 member</th>
<th style="padding:6px 10px">分钟 minutes</th><th></th><th></th>
<th style="padding:6px 10px">近7天达标 days met</th>
<th style="padding:6px 10px">近7天日均 mean min</th></tr></thead>
<tbody>{body}</tbody></table>
<p style="color:#6B7280;font-size:12px">退出计划的成员不会出现在日报中。Members who opted out are
never included. — laotie</p></body></html>
"""


def send_html_email(config: SmtpConfig, *, to: str, subject: str, html: str, text: str) -> None:
    """Send one HTML email (with a plain-text part) through ``config``'s SMTP server."""
    if not config.host:
        raise InvalidInput("SMTP is not configured", field="LAOTIE_SMTP_HOST")
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    try:
        with smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_S) as smtp:
            smtp.send_message(message)
    except TimeoutError as exc:
        raise ProviderTimeout(f"SMTP {config.host}:{config.port} timed out") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise ProviderError(f"SMTP {config.host}:{config.port} failed: {exc}") from exc


def digest_text(*, team_name: str, day: str, goal_minutes: int, rows: list[DigestRow]) -> str:
    """The plain-text part of the digest email."""
    lines = [f"{team_name} watch-time digest {day} (goal {goal_minutes} min)"]
    lines += [
        f"- {r.display_name or r.user_id}: {r.minutes:.0f} min"
        f" ({'met' if r.goal_met else 'not yet'}; {r.days_met_last_7}/7 days)"
        for r in rows
    ]
    return "\n".join(lines) + "\n"
