"""All desktop tables; importing this registers them on Base.metadata."""

from lmgpa_desktop.storage.models.content import (
    Bookmark,
    Chunk,
    Course,
    DocumentPage,
    Photo,
    Recording,
    RecordingSegment,
    Source,
    SourceTag,
    Tag,
    Transcript,
    TranscriptSegment,
)
from lmgpa_desktop.storage.models.interaction import (
    ActivityEvent,
    ChatMessage,
    Conversation,
)
from lmgpa_desktop.storage.models.online import (
    CachedObject,
    LocalId,
    OnlineAccount,
    OutboxEntry,
)
from lmgpa_desktop.storage.models.progress import (
    AchievementUnlock,
    Goal,
    Notification,
    PointEvent,
    StreakFreeze,
    StudySession,
)
from lmgpa_desktop.storage.models.reminders import Deadline, ReminderLog, SchedulerJob
from lmgpa_desktop.storage.models.study import (
    AttemptAnswer,
    Card,
    Deck,
    Note,
    PracticeTest,
    Question,
    ReviewLog,
    TestAttempt,
)
from lmgpa_desktop.storage.models.system import Job, JobLog, Setting

__all__ = [
    "AchievementUnlock",
    "ActivityEvent",
    "AttemptAnswer",
    "Bookmark",
    "CachedObject",
    "Card",
    "ChatMessage",
    "Chunk",
    "Conversation",
    "Course",
    "Deadline",
    "Deck",
    "DocumentPage",
    "Goal",
    "Job",
    "JobLog",
    "LocalId",
    "Note",
    "Notification",
    "OnlineAccount",
    "OutboxEntry",
    "Photo",
    "PointEvent",
    "PracticeTest",
    "Question",
    "Recording",
    "RecordingSegment",
    "ReminderLog",
    "ReviewLog",
    "SchedulerJob",
    "Setting",
    "Source",
    "SourceTag",
    "StreakFreeze",
    "StudySession",
    "Tag",
    "TestAttempt",
    "Transcript",
    "TranscriptSegment",
]
