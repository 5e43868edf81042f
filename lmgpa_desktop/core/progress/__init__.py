"""The student's progress: study sessions, goals, streaks, points, achievements, reminders, notifications.

  sessions       study sessions folded from activity events (an activity listener)
  gamification   the activity listener that judges points, the streak and achievements on ctx.gamification
  points         points per action under capped daily rules, and levels
  streaks        days in a row with the daily goal met, and freezes
  achievements   unlock conditions, checked after each event; unlocks go to ctx.unlocks
  goals          daily and weekly targets and the student's local days
  analytics      what the Progress page and `lmgpa stats` show
  today          the Home page's day at a glance
  focus          the focus timer
  deadlines      assignment and exam dates
  notifications  the notification centre and the rules for interrupting; listeners on ctx.notification_listeners
  reminders      which reminders are due when, and the service that delivers them
"""
