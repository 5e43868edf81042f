"""Account, classes, groups and the online status of the window.

online_status       the badge, background sync and live notifications; shared helpers (field, label, table, when)
queued_actions      how online pages queue a change off the UI thread and count what is in flight
account_page        sign in or up, devices, sync now, the outbox; account_passwords: change or reset a password
leaderboard_panel   this week's ranking of a class or of my connections (shown on the Progress page)
classes_page        classes, assignments and grades; hand_in (the hand-in form), class_files (saving files)
groups_page         study groups, messages, shares and connections
"""
