"""Trust: AIGC label verification, originality (near-duplicates), spam checks, the feed gate.

Other areas use only the names below. ``TrustService`` wires the pieces (``Screener``,
``OriginalityIndex``, ``DecisionGate``, which implements ``laotie.core.contracts.TrustGate``,
and ``ReviewQueue``); ``laotie.wiring`` builds it.
"""

from laotie.trust.decisions import DuplicateFinding, Screening, TrustPolicy
from laotie.trust.gate import DecisionGate
from laotie.trust.labels import LabelVerdict, verify
from laotie.trust.neardup import DuplicateMatch, TextIndex
from laotie.trust.notice import NoticeMatch, find_notice
from laotie.trust.originality import OriginalityIndex
from laotie.trust.phash import MediaIndex, image_phash, media_phashes, video_phashes
from laotie.trust.review import ReviewQueue
from laotie.trust.screening import Screener
from laotie.trust.service import TrustService
from laotie.trust.spam import CheckResult, Evidence, check_text

__all__ = [
    "CheckResult",
    "DecisionGate",
    "DuplicateFinding",
    "DuplicateMatch",
    "Evidence",
    "LabelVerdict",
    "MediaIndex",
    "NoticeMatch",
    "OriginalityIndex",
    "ReviewQueue",
    "Screener",
    "Screening",
    "TextIndex",
    "TrustPolicy",
    "TrustService",
    "check_text",
    "find_notice",
    "image_phash",
    "media_phashes",
    "verify",
    "video_phashes",
]
