"""The window around the pages: main window, navigation, theme, tray, error dialogs, jobs panel."""
