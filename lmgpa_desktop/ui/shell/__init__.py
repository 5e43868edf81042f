"""The window around the pages.

main_window: navigation, pages built on first visit, shortcuts, tray icon; profile_loader: opens the profile off
the UI thread at start-up; errors: unexpected exceptions to a dialog; theme: light and dark stylesheets; tray:
reminders, tray messages and the unread badge; jobs_panel and status_job: running jobs; settings_page: Settings;
welcome: the first-start welcome (sample lecture and PDF) and where empty states' buttons lead.
first_run (+ first_run_pages): the once-per-user welcome (data folder, microphone test, models, sign-in, keys);
open_file: `lmgpa deck.apkg` imports the deck given on the command line.
nav_icons: the sidebar's icons; shortcuts_overlay: `?` / F1 lists the keyboard shortcuts.
about_box: Settings -> About (version, folders, licences, the self-test table); self_test_qt: the self-test's Qt checks.
"""
