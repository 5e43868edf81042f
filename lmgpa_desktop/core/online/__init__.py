"""The student's account on a sync server: sign-in, offline cache, outbox, sync and live notifications.

  service               OnlineService: the mixins below composed, and the sync job (ctx.online)
  base                  constants, AccountState, OutboxItem and the account core the mixins share
  account               sign up, in and out, devices, the leaderboard choice, passwords
  actions               queued actions (outbox items shown in the cache at once) and file downloads
  cache                 reading the offline cache, with unsent outbox items merged in
  sync, refresh         the sync pipeline, and the cache sections it refreshes
  server_notifications  server notifications in the notification centre, pulled or pushed live
  exports               notes and decks written to files to hand in or share
"""
