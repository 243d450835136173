"""All tables; importing this package registers every table on ``Base.metadata``."""

from laotie.store.tables.access import ApiKey
from laotie.store.tables.ads import (
    AdAdvertiser,
    AdCampaign,
    AdCreative,
    AdJournal,
    AdOutcome,
    AdPosting,
)
from laotie.store.tables.base import Base
from laotie.store.tables.catalog import Creator, Follow, Item, Novel, Series, User
from laotie.store.tables.commerce import (
    ComGift,
    ComNotification,
    ComOrder,
    ComPayment,
    ComPaywall,
    ComProduct,
    ComProductCard,
    ComRoom,
    ComRoomViewer,
    ComShop,
    ComUnlock,
    ComWallet,
)
from laotie.store.tables.console import ConsoleSession, ConsoleUser
from laotie.store.tables.eventlog import CompactedEventId, Event, LakePart, StoreMeta
from laotie.store.tables.insights import (
    ProgrammeConsent,
    ProgrammeDigest,
    ProgrammeMember,
    ProgrammeOrg,
    ProgrammeTeam,
    ScheduledJob,
)
from laotie.store.tables.studio import StudioJob
from laotie.store.tables.trust import TrustFingerprint, TrustRecord

__all__ = [
    "AdAdvertiser",
    "AdCampaign",
    "AdCreative",
    "AdJournal",
    "AdOutcome",
    "AdPosting",
    "ApiKey",
    "Base",
    "ComGift",
    "ComNotification",
    "ComOrder",
    "ComPayment",
    "ComPaywall",
    "ComProduct",
    "ComProductCard",
    "ComRoom",
    "ComRoomViewer",
    "ComShop",
    "ComUnlock",
    "ComWallet",
    "CompactedEventId",
    "ConsoleSession",
    "ConsoleUser",
    "Creator",
    "Event",
    "Follow",
    "Item",
    "LakePart",
    "Novel",
    "ProgrammeConsent",
    "ProgrammeDigest",
    "ProgrammeMember",
    "ProgrammeOrg",
    "ProgrammeTeam",
    "ScheduledJob",
    "Series",
    "StoreMeta",
    "StudioJob",
    "TrustFingerprint",
    "TrustRecord",
    "User",
]
