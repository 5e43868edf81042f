"""Data safety in the window.

profile_host: opens the profile, offers a restore when it is damaged, reopens it after one; damaged_dialog: what
happened to a damaged profile; backups_panel: Settings → Backups; auto_backup: the automatic backups' timer;
archive_actions: export and import everything.
"""
