"""Home (today), Progress, notifications, focus timer and the game panels."""
