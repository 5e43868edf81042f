"""The window around the pages.

main_window: navigation, pages built on first visit, shortcuts, tray icon; profile_loader: opens the profile off
the UI thread at start-up; errors: unexpected exceptions to a dialog; theme: light and dark stylesheets; tray:
reminders, tray messages and the unread badge; jobs_panel and status_job: running jobs; settings_page: Settings.
"""
