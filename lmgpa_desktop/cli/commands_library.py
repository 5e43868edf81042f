"""`lmgpa import`, `lmgpa sources`, `lmgpa search`."""

from __future__ import annotations

import argparse
from pathlib import Path

from lmgpa_desktop.cli.common import drain_queue, open_ctx, scope_from_args


def register(sub: argparse._SubParsersAction) -> None:
    """Add the library commands."""
    p = sub.add_parser("import", help="add files to the library (documents, images, audio, video)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--class", dest="course", help="put them in this class (created when new)")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("sources", help="list the library")
    p.add_argument("--json", action="store_true")
    p.add_argument("--trash", action="store_true", help="list the trash instead")
    p.set_defaults(handler=cmd_sources)

    p = sub.add_parser("search", help="search the library by meaning and words")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--source", type=int, help="only this source id")
    p.add_argument("--class", dest="course", help="only this class")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)


def cmd_import(args) -> int:
    """Import each file (whole pipeline: extract or transcribe, then index); print the new source ids."""
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.storage import library_repo

    ctx = open_ctx(args)
    course_id = library_repo.course_named(ctx.db, args.course).id if args.course else None
    for path in args.paths:
        library.check_supported(Path(path).expanduser())  # fail before queuing anything
    job_ids = {library.queue_import(ctx, path, course_id): path for path in args.paths}
    finished = {j.id: j for j in drain_queue(ctx)}
    failed = 0
    for job_id, path in job_ids.items():
        job = finished.get(job_id)
        if job is None or job.state != "done":
            failed += 1
            print(f"{path}: failed: {job.error if job else 'did not run'}", flush=True)
            continue
        note = " (already in the library)" if job.result.get("duplicate") else ""
        print(f"{job.result['source_id']}\t{path}{note}", flush=True)
    return 1 if failed else 0


def cmd_sources(args) -> int:
    """List sources."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.core.formatting import clock, human_size

    ctx = open_ctx(args)
    rows = library.items(ctx, trashed=args.trash)
    if args.json:
        print_json([{"id": i.source.id, "title": i.source.title, "kind": i.source.kind, "status": i.source.status,
                     "class": i.course, "tags": i.tags, "pages": i.source.page_count,
                     "duration": i.source.duration_s, "size_bytes": i.source.size_bytes,
                     "added": i.source.created_at.isoformat()} for i in rows])
        return 0
    for i in rows:
        s = i.source
        length = f"{s.page_count} p" if s.page_count else (clock(s.duration_s) if s.duration_s else "")
        print(f"{s.id:>5}  {s.kind:<9} {s.status:<10} {length:>8} {human_size(s.size_bytes):>9}  {s.title}"
              + (f"  [{i.course}]" if i.course else "") + (f"  #{' #'.join(i.tags)}" if i.tags else ""))
    return 0


def cmd_search(args) -> int:
    """Print the best passages."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.library.search import search

    ctx = open_ctx(args)
    hits = search(ctx, args.query, k=args.k, scope=scope_from_args(ctx, args))
    if args.json:
        print_json([{"source_id": h.source_id, "title": h.source_title, "location": h.location,
                     "page": h.page_no, "start": h.start_s, "end": h.end_s, "score": round(h.score, 5),
                     "snippet": h.snippet, "chunk_id": h.chunk_id} for h in hits])
        return 0
    if not hits:
        print("nothing found")
    for h in hits:
        print(f"{h.source_id:>5}  {h.source_title}  {h.location}  ({h.score:.4f})\n       {h.snippet}")
    return 0
