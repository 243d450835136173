"""Trust: AIGC label verification, originality (near-duplicates), spam checks, the feed gate.

Other areas use only the names below. ``TrustService`` implements
``laotie.core.contracts.TrustGate``; ``laotie.wiring`` builds it.
"""

from laotie.trust.labels import LabelVerdict, verify
from laotie.trust.neardup import DuplicateMatch, TextIndex
from laotie.trust.notice import NoticeMatch, find_notice
from laotie.trust.phash import MediaIndex, image_phash, media_phashes, video_phashes
from laotie.trust.service import (
    DuplicateFinding,
    Screening,
    TrustPolicy,
    TrustService,
)
from laotie.trust.spam import CheckResult, Evidence, check_text

__all__ = [
    "CheckResult",
    "DuplicateFinding",
    "DuplicateMatch",
    "Evidence",
    "LabelVerdict",
    "MediaIndex",
    "NoticeMatch",
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
