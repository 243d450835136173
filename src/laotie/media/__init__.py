"""Media: running ffmpeg, reading what a file holds, fonts and GB 45438 labels on files.

Shared by studio (which writes media) and trust (which checks it); imports only ``core``.
Other packages use only the names below.
"""

from laotie.media.ffmpeg import atomic_output, ffmpeg_exe, ffmpeg_output, run_ffmpeg
from laotie.media.fonts import FONT_PATH, font_for_glyph_height, load_font
from laotie.media.info import (
    MediaInfo,
    extract_frame,
    frame_png,
    grey_frames,
    probe,
    read_metadata,
)
from laotie.media.labels import (
    MIN_TEXT_HEIGHT_RATIO,
    TEXT_HEIGHT_RATIO,
    FileLabel,
    LabelBadge,
    label_picture,
    mp4_label_args,
    notice_text_height,
    read_label,
    render_badge,
    write_file_label,
    write_image_label,
)

__all__ = [
    "FONT_PATH",
    "MIN_TEXT_HEIGHT_RATIO",
    "TEXT_HEIGHT_RATIO",
    "FileLabel",
    "LabelBadge",
    "MediaInfo",
    "atomic_output",
    "extract_frame",
    "ffmpeg_exe",
    "ffmpeg_output",
    "font_for_glyph_height",
    "frame_png",
    "grey_frames",
    "label_picture",
    "load_font",
    "mp4_label_args",
    "notice_text_height",
    "probe",
    "read_label",
    "read_metadata",
    "render_badge",
    "run_ffmpeg",
    "write_file_label",
    "write_image_label",
]
