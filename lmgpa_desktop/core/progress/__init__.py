"""The student's progress: study sessions, goals, streaks, points, achievements, reminders, notifications."""
