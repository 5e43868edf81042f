"""Personal sync on loopback: the first sync of a full profile, the incremental sync after one review, and the merge
cost per 1,000 incoming changes, each beside the bare library path where there is one.

A real server (uvicorn in its own process, SQLite) and two devices (profiles) in this process. The laptop holds
--cards cards (texts of the shared Ultimate Geography deck) with --logs review logs simulated with FSRS, then
replayed into the cards' state, --notes notes and --audio-minutes of real speech (the shared LJ Speech recordings
repeated into one FLAC, as a recording is kept). It sets sync up and sends everything; the desktop sets up and
receives everything. Bytes are counted on the wire at the HTTP client (request and status lines, headers, bodies).
Baselines: `cryptography`'s AES-GCM alone against our sealed messages and chunks, and httpx alone putting and
getting the same sealed chunks against our resumable upload and download.
Goal: the incremental sync after one review under 1 s and a few KB on loopback.
Usage: python benchmarks/sync.py [--cards 10000] [--logs 100000] [--notes 50] [--audio-minutes 60] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
DECK = SHARED / "anki" / "ultimate-geography" / "UG_EN_textonly.apkg"
SPEECH = SHARED / "audio" / "LJ001-0001_0032_concat_16k.flac"
PASSPHRASE = "seven lanterns over the quad"
PASSWORD = "lecture hall 42 purple kettle"


# -- measuring ----------------------------------------------------------------------------------------------------
class Meter:
    """Bytes each way and requests of every HTTP client in this process (installed around httpx.Client.send)."""

    def __init__(self):
        self.up = self.down = self.requests = 0
        self._lock = threading.Lock()
        self._real = httpx.Client.send

    def install(self) -> None:
        meter, real = self, self._real

        def send(client, request, *args, **kwargs):
            response = real(client, request, *args, **kwargs)
            head = len(request.method) + len(str(request.url.raw_path)) + 12 + sum(
                len(k) + len(v) + 4 for k, v in request.headers.raw)
            try:
                body = len(request.content)
            except httpx.RequestNotRead:  # a streamed upload: not one of ours
                body = 0
            back = 17 + sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
            with meter._lock:
                meter.up += head + body
                meter.down += back + (response.num_bytes_downloaded or len(response.content))
                meter.requests += 1
            return response

        httpx.Client.send = send

    def uninstall(self) -> None:
        httpx.Client.send = self._real

    @contextmanager
    def span(self):
        """Yields a dict filled at exit with the bytes, requests and seconds of the block."""
        out: dict = {}
        up, down, n, t = self.up, self.down, self.requests, time.perf_counter()
        yield out
        out.update(up=self.up - up, down=self.down - down, requests=self.requests - n,
                   seconds=time.perf_counter() - t)


class Phases:
    """Seconds spent in each sync step (pull, push, upload, download) and in apply, decrypt and rebuild."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def install(self) -> None:
        from lmgpa_desktop.core.sync import crypto, engine, replay
        from lmgpa_desktop.storage.sync import apply_repo

        for name in ("pull", "push", "upload_media", "download_media"):
            setattr(engine, name, self._gen(name, getattr(engine, name)))
        apply_repo.apply = self._fn("apply", apply_repo.apply)
        replay.rebuild_after = self._fn("rebuild", replay.rebuild_after)
        crypto.open_message = self._fn("decrypt", crypto.open_message)
        crypto.seal_message = self._fn("encrypt", crypto.seal_message)

    def _fn(self, label, fn):
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t
        return timed

    def _gen(self, label, fn):
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return (yield from fn(*args, **kwargs))
            finally:
                self.seconds[label] += time.perf_counter() - t
        return timed

    def take(self) -> dict[str, float]:
        out, self.seconds = dict(self.seconds), defaultdict(float)
        return out


def sync(ctx) -> dict:
    from lmgpa_desktop.core.sync import service

    gen = service.sync_now(ctx)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            result = stop.value
            if result["status"] != "ok":
                raise SystemExit(f"sync failed: {result}")
            return result


# -- the profile ---------------------------------------------------------------------------------------------------
def card_texts(ctx) -> list[tuple[str, str, str]]:
    """(front, back, tags) of the real deck's cards (imported, read, and removed again)."""
    from lmgpa_desktop.core.study.anki import importing as anki_import
    from lmgpa_desktop.storage import cards_repo

    source = anki_import.import_file(ctx, DECK)
    texts = [(c.front, c.back, c.tags) for c in cards_repo.cards_of_deck(ctx.db, source.deck_ids[0])]
    cards_repo.delete_deck(ctx.db, source.deck_ids[0])
    return texts


def build(ctx, tmp: Path, args) -> dict:
    """Cards, simulated review history (replayed into the cards), notes and an hour of speech; what was made."""
    from fsrs import Card as FsrsCard
    from fsrs import Rating, Scheduler

    from lmgpa_desktop.core.capture import media_import
    from lmgpa_desktop.core.study import notes
    from lmgpa_desktop.core.sync import replay
    from lmgpa_desktop.storage import cards_repo, review_logs_repo
    from lmgpa_desktop.storage.base import new_uuid

    rng = random.Random(16)
    texts = card_texts(ctx)
    decks = [cards_repo.create_deck(ctx.db, f"Geography {i}").id for i in range(10)]
    cards_repo.bulk_insert_cards(ctx.db, [
        {"deck_id": decks[i % 10], "front": f"{texts[i % len(texts)][0]} #{i}", "back": texts[i % len(texts)][1],
         "tags": texts[i % len(texts)][2]} for i in range(args.cards)])
    card_ids = [c.id for d in decks for c in cards_repo.cards_of_deck(ctx.db, d)]
    sched, now = Scheduler(enable_fuzzing=False), datetime.now(UTC)
    logs, per_card = [], [args.logs // len(card_ids) + (i < args.logs % len(card_ids)) for i in range(len(card_ids))]
    for card_id, n in zip(card_ids, per_card, strict=True):
        card, t = FsrsCard(card_id=card_id), now - timedelta(days=rng.uniform(400, 800))
        for _ in range(n):
            before = int(card.state)
            rating = rng.choices((1, 2, 3, 4), weights=(10, 15, 65, 10))[0]
            card, _ = sched.review_card(card, Rating(rating), review_datetime=t)
            logs.append({"uuid": new_uuid(), "card_id": card_id, "rating": rating, "reviewed_at": t,
                         "duration_ms": rng.randint(2000, 15000), "state_before": before,
                         "stability_after": card.stability, "difficulty_after": card.difficulty,
                         "due_after": card.due})
            t = min(card.due + timedelta(hours=rng.uniform(0, 20)), now - timedelta(minutes=len(logs) % 997 + 1))
    for start in range(0, len(logs), 20_000):
        review_logs_repo.append_review_logs(ctx.db, logs[start:start + 20_000])
    t = time.perf_counter()
    replay.replay_cards(ctx, card_ids)  # the cards' state is the fold of their history, as on every device
    replay_s = time.perf_counter() - t
    for i in range(args.notes):
        notes.create(ctx, body_md=f"# Week {i}\n\n" + "\n".join(
            f"- {front} → {back}" for front, back, _ in texts[i * 8:(i + 1) * 8]))
    audio = None
    if args.audio_minutes > 0:
        audio = hour_of_speech(tmp / "lecture.flac", args.audio_minutes)
        media_import.import_media(ctx, audio, title="Recorded lecture")
    return {"cards": len(card_ids), "logs": len(logs), "notes": args.notes, "replay_s": replay_s,
            "audio_bytes": audio.stat().st_size if audio else 0}


def hour_of_speech(path: Path, minutes: float) -> Path:
    """Real speech repeated to `minutes`, written as FLAC (how the app keeps a recording)."""
    import numpy as np
    import soundfile

    data, rate = soundfile.read(SPEECH, dtype="int16")
    need = int(minutes * 60 * rate)
    with soundfile.SoundFile(path, "w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16") as out:
        written = 0
        while written < need:
            part = data[: need - written]
            out.write(np.ascontiguousarray(part))
            written += len(part)
    return path


def open_device(tmp: Path, name: str, server_url: str, email: str, first: bool):
    from lmgpa_desktop.core.online import service as online
    from lmgpa_desktop.core.profile import open_app

    ctx = open_app(tmp / name)
    account = online.service(ctx)
    if first:
        account.sign_up(server_url, email, PASSWORD, "Bench Student")
    else:
        account.sign_in(server_url, email, PASSWORD)
    return ctx


# -- baselines -----------------------------------------------------------------------------------------------------
def crypto_baselines(ctx, key: bytes, audio: Path | None) -> list[tuple[str, float, float]]:
    """(what, ours per second, bare AES-GCM per second) for messages and for 4 MiB chunks."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from lmgpa_desktop.core.sync import crypto, engine
    from lmgpa_desktop.storage.sync import outbox_repo

    device = outbox_repo.device_id(ctx.db)
    outgoing = outbox_repo.unsent(ctx.db, limit=5000) or []
    bodies = [(o.msg_id, o.hlc, json.dumps(engine._body(o, lambda p: None)).encode()) for o in outgoing]
    if not bodies:
        bodies = [(secrets.token_hex(16), f"{int(time.time() * 1000):013d}-0000-{device}", b'{"t":"notes"}' * 20)
                  for _ in range(5000)]
    aead = AESGCM(key)
    t = time.perf_counter()
    for msg_id, hlc, plain in bodies:
        crypto.seal_message(key, plain, msg_id, hlc, device)
    ours = len(bodies) / (time.perf_counter() - t)
    t = time.perf_counter()
    for msg_id, hlc, plain in bodies:
        aead.encrypt(os.urandom(12), plain, f"{msg_id}|{hlc}|{device}".encode())
    bare = len(bodies) / (time.perf_counter() - t)
    out = [("seal a message (msgs/s)", ours, bare)]
    data = audio.read_bytes()[: 8 * 4 * 1024 * 1024] if audio else os.urandom(8 * 4 * 1024 * 1024)
    chunks = [data[i:i + 4 * 1024 * 1024] for i in range(0, len(data), 4 * 1024 * 1024)]
    t = time.perf_counter()
    for i, c in enumerate(chunks):
        crypto.seal_chunk(key, "bench", i, c)
    ours = len(data) / 2**20 / (time.perf_counter() - t)
    t = time.perf_counter()
    for i, c in enumerate(chunks):
        aead.encrypt(os.urandom(12), c, f"bench|{i}".encode())
    bare = len(data) / 2**20 / (time.perf_counter() - t)
    out.append(("seal 4 MiB chunks (MiB/s)", ours, bare))
    return out


def http_baseline(server_url: str, token: str, key: bytes, audio: Path) -> tuple[float, float]:
    """MiB/s of httpx alone putting, then getting, the same sealed chunks to the same endpoints."""
    from lmgpa_desktop.core.sync import crypto

    data = audio.read_bytes()
    blob = secrets.token_hex(32)
    sealed = [crypto.seal_chunk(key, blob, i, data[o:o + 4 * 1024 * 1024])
              for i, o in enumerate(range(0, len(data), 4 * 1024 * 1024))]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server_url, timeout=120, headers=headers) as c:
        t = time.perf_counter()
        for i, s in enumerate(sealed):
            c.put(f"/api/sync/blobs/{blob}/{i}", content=s,
                  headers={"Content-Type": "application/octet-stream"}).raise_for_status()
        put = len(data) / 2**20 / (time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(len(sealed)):
            c.get(f"/api/sync/blobs/{blob}/{i}").raise_for_status()
        get = len(data) / 2**20 / (time.perf_counter() - t)
    return put, get


# -- the run -------------------------------------------------------------------------------------------------------
def kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB" if n < 10 * 2**20 else f"{n / 2**20:,.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--logs", type=int, default=None, help="review logs (default: 10 per card)")
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--audio-minutes", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=5, help="incremental syncs after one review")
    args = parser.parse_args()
    args.logs = args.cards * 10 if args.logs is None else args.logs

    sys.path.insert(0, str(ROOT / "tests"))
    import keyring
    from online_support import DictKeyring
    from server_load import start_ours

    from lmgpa_desktop.core.online import service as online
    from lmgpa_desktop.core.study import decks, review
    from lmgpa_desktop.core.sync import keys, service
    from lmgpa_desktop.storage import cards_repo
    from lmgpa_desktop.storage.sync import outbox_repo

    keyring.set_keyring(DictKeyring())  # the sync key is kept in the keyring; this machine may have none
    meter, phases = Meter(), Phases()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = start_ours(f"sqlite:///{tmp / 'server.sqlite3'}", workers=1)
        try:
            email = f"bench{time.time_ns()}@school.example"
            laptop = open_device(tmp, "laptop", server.url, email, first=True)
            t = time.perf_counter()
            made = build(laptop, tmp, args)
            print(f"built {made['cards']:,} cards, {made['logs']:,} review logs (replayed), {made['notes']} notes, "
                  f"{args.audio_minutes:g} min of audio ({kb(made['audio_bytes'])}) in {time.perf_counter() - t:.1f} s "
                  f"(replaying every card's log: {made['replay_s']:.1f} s)")
            meter.install()
            rows = []

            t = time.perf_counter()
            service.setup(laptop, PASSPHRASE, first_sync=False)
            setup_s = time.perf_counter() - t
            waiting = outbox_repo.waiting(laptop.db)
            key = keys.load_local_key(server.url, email, outbox_repo.device_id(laptop.db))
            crypto_rows = crypto_baselines(laptop, key, tmp / "lecture.flac" if made["audio_bytes"] else None)
            phases.install()
            with meter.span() as first_up:
                sync(laptop)
            up_phases = phases.take()
            print(f"set-up on the laptop (key made, Argon2id, {waiting:,} rows queued): {setup_s:.1f} s")

            desktop = open_device(tmp, "desktop", server.url, email, first=False)
            service.setup(desktop, PASSPHRASE, first_sync=False)
            with meter.span() as first_down:
                sync(desktop)
            down_phases = phases.take()
            got = desktop.db.path
            n_cards = sum(len(cards_repo.cards_of_deck(desktop.db, d.id)) for d in cards_repo.decks(desktop.db))
            print(f"desktop after its first sync: {n_cards:,} cards, database {kb(Path(got).stat().st_size)}")
            rows.append(("first sync, laptop sends all", first_up, up_phases))
            rows.append(("first sync, desktop receives all", first_down, down_phases))

            # Incremental: one review on the laptop, then the laptop syncs and the desktop syncs.
            inc_up, inc_down = [], []
            for _ in range(args.rounds):
                card = review.next_card(laptop) or cards_repo.get_card(laptop.db, cards_repo.cards_of_deck(
                    laptop.db, cards_repo.decks(laptop.db)[0].id)[0].id)
                review.answer(laptop, card.id, 3)
                with meter.span() as up:
                    sync(laptop)
                with meter.span() as down:
                    sync(desktop)
                inc_up.append(up)
                inc_down.append(down)
            phases.take()

            # Merge cost: 1,000 card edits, then 1,000 reviews, arriving at the desktop.
            ids = [c.id for d in cards_repo.decks(laptop.db) for c in cards_repo.cards_of_deck(laptop.db, d.id)]
            for i in ids[:1000]:
                decks.update_card(laptop, i, back=f"edited {i}")
            sync(laptop)
            phases.take()
            with meter.span() as edits:
                result_edits = sync(desktop)
            edit_phases = phases.take()
            at = datetime.now(UTC)
            for n, i in enumerate(ids[1000:2000] or ids[:1000]):
                review.answer(laptop, i, 3, now=at + timedelta(seconds=n))
            sync(laptop)
            phases.take()
            with meter.span() as reviews:
                result_reviews = sync(desktop)
            review_phases = phases.take()

            token = online.service(laptop).api_client().tokens.access_token
            http_rows = http_baseline(server.url, token, key, tmp / "lecture.flac") if made["audio_bytes"] else None
        finally:
            meter.uninstall()
            server.stop()

    print()
    print(f"{'sync':34} {'seconds':>8} {'sent':>10} {'received':>10} {'requests':>9}  phases (s)")
    for name, m, ph in rows:
        print(f"{name:34} {m['seconds']:8.2f} {kb(m['up']):>10} {kb(m['down']):>10} {m['requests']:9d}  "
              + ", ".join(f"{k} {v:.2f}" for k, v in sorted(ph.items())))
    for name, spans in (("after one review, laptop sends", inc_up), ("after one review, desktop gets", inc_down)):
        med = {k: statistics.median(s[k] for s in spans) for k in ("seconds", "up", "down", "requests")}
        print(f"{name:34} {med['seconds']:8.3f} {kb(med['up']):>10} {kb(med['down']):>10} "
              f"{int(med['requests']):9d}  median of {len(spans)}; max {max(s['seconds'] for s in spans):.3f} s")
    print()
    print("merge cost per 1,000 incoming changes at the desktop (ms):")
    for name, m, ph, result in (("card edits", edits, edit_phases, result_edits),
                                ("reviews (logs + replay)", reviews, review_phases, result_reviews)):
        per = 1000 / max(1, result["applied"])
        print(f"  {name:26} whole sync {m['seconds'] * 1000 * per:7.0f}   apply {ph.get('apply', 0) * 1000 * per:6.0f}"
              f"   decrypt {ph.get('decrypt', 0) * 1000 * per:5.0f}   rebuild {ph.get('rebuild', 0) * 1000 * per:6.0f}"
              f"   ({result['applied']} applied, {kb(m['down'])} received)")
    print()
    print(f"{'against the bare library':34} {'ours':>10} {'bare':>10} {'ours/bare':>10}")
    for name, ours, bare in crypto_rows:
        print(f"{name:34} {ours:10,.0f} {bare:10,.0f} {ours / bare:9.2f}x")
    if http_rows:
        audio_mib = made["audio_bytes"] / 2**20
        up_s, down_s = up_phases.get("upload_media", 0), down_phases.get("download_media", 0)
        if up_s:
            print(f"{'upload audio (MiB/s)':34} {audio_mib / up_s:10,.1f} {http_rows[0]:10,.1f} "
                  f"{audio_mib / up_s / http_rows[0]:9.2f}x")
        if down_s:
            print(f"{'download audio (MiB/s)':34} {audio_mib / down_s:10,.1f} {http_rows[1]:10,.1f} "
                  f"{audio_mib / down_s / http_rows[1]:9.2f}x")
    med = statistics.median(s["seconds"] for s in inc_up + inc_down)
    size = statistics.median(s["up"] + s["down"] for s in inc_up + inc_down)
    print(f"\ngoal: incremental sync under 1 s and a few KB: median {med:.3f} s, {kb(size)} both ways -> "
          f"{'met' if med < 1 and size < 16 * 1024 else 'NOT met'}")


if __name__ == "__main__":
    main()
