"""Studio: AI production tools (screenwriter, LLM providers, jobs, AIGC labels, media).

Other areas use only the names below.
"""

from laotie.studio.aigc_label import (
    EXPLICIT_NOTICE,
    EXPLICIT_NOTICE_SHORT,
    AigcLabel,
    new_label,
    with_propagator,
)

__all__ = [
    "EXPLICIT_NOTICE",
    "EXPLICIT_NOTICE_SHORT",
    "AigcLabel",
    "new_label",
    "with_propagator",
]
