"""Sync of the student's own study data between their computers.

words           what the panel and the status bar say (status, time ago, passphrase strength, conflicts)
events          one signal per window: sync state changed (a sync ended, a conflict was resolved)
sync_status     the status-bar text ("Synced 2 min ago · 3 waiting · 1 conflict"), a click opens the panel
sync_panel      the Sync section of the Account page: set up, sync now, passphrase, remove device, delete data
fields          a passphrase typed twice with its strength hint; small label and field helpers
sync_dialogs    the recovery key shown once (closed only by "I have saved it"), confirmations that name what happens
conflicts_list  the two texts of each conflict side by side, with Keep this / Keep the other / Keep both
media_bar       "this lecture's audio is not downloaded yet" with Download now, where a lecture is played
"""
