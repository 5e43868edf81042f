"""What syncs: per table, its synced columns, parent references, text fields that keep conflict copies, media."""

from __future__ import annotations

from dataclasses import dataclass, field

# A delete travels as a put of this field (set to the time of the delete). Tables without such a column
# (soft_delete=False) delete the row when it arrives; the field's sync_clock entry keeps it from coming back.
TOMBSTONE = "deleted_at"


@dataclass(frozen=True)
class TableSpec:
    """How one table syncs."""

    table: str  # SQL table name
    kind: str  # "lww" (per-field last writer wins) | "append" (insert once, union by uuid)
    fields: tuple[str, ...]  # synced columns (never id, uuid, hlc, updated_at, nor derived state)
    refs: dict[str, str] = field(default_factory=dict)  # column -> parent table name (travels as the parent's uuid)
    texts: tuple[str, ...] = ()  # lww text fields where concurrent edits keep a conflict copy
    media: tuple[str, ...] = ()  # columns holding a local file path
    key: str = "uuid"  # identity column ("key" for settings)
    where: str | None = None  # SQL condition on rows that sync, on unqualified column names
    where_columns: tuple[str, ...] = ()  # columns `where` reads besides key and fields
    soft_delete: bool = True  # the table has a deleted_at column (else a tombstone deletes the row)
    fill: dict[str, object] = field(default_factory=dict)  # NOT NULL local-only columns: value for a synced-in row

    def __post_init__(self) -> None:
        assert self.kind in ("lww", "append"), self.kind
        assert set(self.refs) | set(self.texts) | set(self.media) <= set(self.fields), self.table
        assert (TOMBSTONE in self.fields) == self.soft_delete, self.table


def _soft(*names: str) -> tuple[str, ...]:
    """A Syncable table's fields: its own plus created_at and the tombstone."""
    return (*names, "created_at", TOMBSTONE)


COURSE = {"course_id": "courses"}
SOURCE = {"source_id": "sources"}

# Personal study settings follow the student; everything about this machine stays on it (window state, theme,
# CPU threads, model files, backup rotation; audio devices and the data folder are not database settings).
# Deck limits such as new cards per day live on decks and sync with them; goals are rows of their own.
SYNCED_SETTING_KEYS = ("review.retention", "speech.speed", "transcribe.language", "ocr.language")
SYNCED_SETTING_PREFIXES = ("review.", "notifications.", "goals.", "study.", "reminders.")
SETTINGS_WHERE = "(key IN ({}) OR {})".format(
    ", ".join(f"'{k}'" for k in SYNCED_SETTING_KEYS),
    " OR ".join(f"key LIKE '{p}%'" for p in SYNCED_SETTING_PREFIXES),
)


def setting_synced(key: str) -> bool:
    """Whether a settings key is a personal study setting (synced) rather than a device one."""
    return key in SYNCED_SETTING_KEYS or key.startswith(SYNCED_SETTING_PREFIXES)


SPECS: tuple[TableSpec, ...] = (  # parents before children
    TableSpec("courses", "lww", _soft("name", "code", "term", "color", "server_id", "archived")),
    TableSpec("sources", "lww", _soft("kind", "title", "course_id", "stored_path", "sha256", "size_bytes", "mime",
                                      "status", "error", "page_count", "duration_s", "language"),
              refs=COURSE, media=("stored_path",)),
    TableSpec("document_pages", "append", ("source_id", "page_no", "text", "method", "ocr_confidence", "width",
                                           "height", "words"), refs=SOURCE, soft_delete=False),
    TableSpec("recordings", "lww", ("source_id", "device_name", "sample_rate", "channels", "state", "started_at",
                                    "ended_at", "error", "created_at"),
              refs=SOURCE, soft_delete=False, fill={"directory": ""}),
    TableSpec("transcripts", "lww", ("source_id", "kind", "model", "language", "language_probability",
                                     "duration_s", "status", "created_at"), refs=SOURCE, soft_delete=False),
    TableSpec("transcript_segments", "lww", ("transcript_id", "idx", "start_s", "end_s", "text", "edited_text",
                                             "avg_logprob", "no_speech_prob", "words"),
              refs={"transcript_id": "transcripts"}, texts=("edited_text",), soft_delete=False),
    TableSpec("bookmarks", "lww", ("source_id", "recording_id", "at_s", "label", "created_at"),
              refs={**SOURCE, "recording_id": "recordings"}, soft_delete=False),
    TableSpec("photos", "lww", ("source_id", "recording_id", "at_s", "path", "ocr_text", "created_at"),
              refs={**SOURCE, "recording_id": "recordings"}, media=("path",), soft_delete=False),
    TableSpec("notes", "lww", _soft("title", "body_md", "course_id", "source_refs", "status"),
              refs=COURSE, texts=("title", "body_md")),
    TableSpec("decks", "lww", _soft("name", "description", "course_id", "new_per_day", "anki_deck_id"),
              refs=COURSE),
    TableSpec("cards", "lww", _soft("deck_id", "kind", "front", "back", "tags", "source_id", "source_page",
                                    "source_start_s", "source_end_s", "anki_guid", "anki_model", "anki_fields",
                                    "anki_ord", "suspended", "status", "source_quote", "sched_base"),
              refs={"deck_id": "decks", **SOURCE}, texts=("front", "back")),
    TableSpec("review_logs", "append", ("card_id", "rating", "reviewed_at", "duration_ms", "state_before",
                                        "stability_after", "difficulty_after", "due_after"),
              refs={"card_id": "cards"}, soft_delete=False),
    TableSpec("practice_tests", "lww", _soft("title", "course_id", "source_ids", "time_limit_s", "status"),
              refs=COURSE),
    TableSpec("questions", "lww", _soft("test_id", "position", "kind", "prompt", "choices", "answer",
                                        "explanation", "source_id", "source_page", "source_start_s",
                                        "source_end_s", "status", "source_quote"),
              refs={"test_id": "practice_tests", **SOURCE}, texts=("prompt", "answer", "explanation")),
    TableSpec("test_attempts", "lww", _soft("test_id", "started_at", "finished_at", "score", "max_score"),
              refs={"test_id": "practice_tests"}),
    TableSpec("attempt_answers", "append", ("attempt_id", "question_id", "response", "correct", "score",
                                            "graded_by", "reason"),
              refs={"attempt_id": "test_attempts", "question_id": "questions"}, soft_delete=False),
    TableSpec("goals", "lww", _soft("metric", "period", "target", "course_id", "active"), refs=COURSE),
    TableSpec("deadlines", "lww", _soft("title", "kind", "due_at", "course_id", "done"), refs=COURSE,
              where="server_id IS NULL", where_columns=("server_id",)),  # class deadlines come from the server
    TableSpec("conversations", "lww", _soft("title", "scope")),
    TableSpec("chat_messages", "append", ("conversation_id", "role", "content", "citations", "created_at"),
              refs={"conversation_id": "conversations"}, soft_delete=False),
    TableSpec("activity_events", "append", ("kind", "at", "course_id", "ref_id", "amount", "details"),
              refs=COURSE, soft_delete=False),
    TableSpec("study_sessions", "lww", _soft("kind", "course_id", "started_at", "ended_at", "active_seconds"),
              refs=COURSE),
    TableSpec("settings", "lww", ("value",), key="key", where=SETTINGS_WHERE, soft_delete=False),
    TableSpec("sync_conflicts", "lww", _soft("tbl", "row_uuid", "field", "kept_hlc", "lost_hlc", "lost_value",
                                             "lost_device", "resolved_at")),
)

# Synced fields that hold local row ids inside JSON or without a foreign key (a note's citations, a test's sources,
# a chat's scope and citations, the card or test an activity event was about). json_refs.py says which ids and of
# which table; they travel as the named rows' uuids and arrive as this device's ids.
LOCAL_IDS_INSIDE: dict[str, tuple[str, ...]] = {
    "notes": ("source_refs",), "practice_tests": ("source_ids",), "conversations": ("scope",),
    "chat_messages": ("citations",), "activity_events": ("ref_id", "details"),
}

_BY_NAME = {s.table: s for s in SPECS}


def spec(table: str) -> TableSpec:
    """The spec of a synced table; KeyError if it does not sync."""
    return _BY_NAME[table]
