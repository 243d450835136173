"""Studio: AI production tools (screenwriter, LLM providers, jobs, media making).

The AIGC label model is ``laotie.core.aigc``; running ffmpeg, probing and label read/write on
files is ``laotie.media``.

Other areas use only the names below.
"""

from laotie.studio.files import StoredFile, StudioFiles, studio_files
from laotie.studio.job_dispatch import Dispatcher, LeasePolicy, ThreadDispatcher
from laotie.studio.job_queue import RedisJobQueue
from laotie.studio.jobs import (
    LOCAL,
    JobCancelled,
    JobContext,
    JobRunner,
    JobView,
    Submitter,
    parse_params,
)
from laotie.studio.live_jobs import HostRequest, host_dir, register_host_job
from laotie.studio.media_jobs import publish_video, register_media_jobs
from laotie.studio.media_requests import (
    AdRequest,
    KlingRequest,
    MediaContext,
    NarrateRequest,
    PresenterRequest,
)
from laotie.studio.outputs import output_paths
from laotie.studio.presenter.hls import (
    HlsStream,
    live_playlist,
    load_stream,
    playlist_label,
    read_segment_label,
)
from laotie.studio.providers.llm import LLMProvider, OpenAICompatibleClient
from laotie.studio.writer.export import export_all, load_adaptation
from laotie.studio.writer.job import register_writer_jobs
from laotie.studio.writer.model import Adaptation
from laotie.studio.writer.parse import parse_novel, read_novel
from laotie.studio.writer.pipeline import adapt
from laotie.studio.writer.review import ReviewReport, review

__all__ = [
    "LOCAL",
    "AdRequest",
    "Adaptation",
    "Dispatcher",
    "HlsStream",
    "HostRequest",
    "JobCancelled",
    "JobContext",
    "JobRunner",
    "JobView",
    "KlingRequest",
    "LLMProvider",
    "LeasePolicy",
    "MediaContext",
    "NarrateRequest",
    "OpenAICompatibleClient",
    "PresenterRequest",
    "RedisJobQueue",
    "ReviewReport",
    "StoredFile",
    "StudioFiles",
    "Submitter",
    "ThreadDispatcher",
    "adapt",
    "export_all",
    "host_dir",
    "live_playlist",
    "load_adaptation",
    "load_stream",
    "output_paths",
    "parse_novel",
    "parse_params",
    "playlist_label",
    "publish_video",
    "read_novel",
    "read_segment_label",
    "register_host_job",
    "register_media_jobs",
    "register_writer_jobs",
    "review",
    "studio_files",
]
