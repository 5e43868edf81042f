"""LMGPA sync server: accounts, classes, groups, notifications, leaderboards (FastAPI).

Map. Features, each a folder with router.py (thin: parse, call, wrap), its service modules and schemas.py:
auth/ (accounts, tokens, device sessions; deps.py: the signed-in caller), classes/, social/, notify/, game/, sync/.
The kernel stays flat at the top, beside the features, because the entry points are named by their paths
(sync_server.main:main, sync_server.app:factory) and it imports no feature: db, models, migrate (+ migrations/),
settings, deps (session, settings, Router), envelope, errors, idempotency, schemas (shared bases), codes, security/,
periodic. Composition on top: app (create_app), housekeeping (pruning), main (the CLI).
"""

__version__ = "0.1.0"
