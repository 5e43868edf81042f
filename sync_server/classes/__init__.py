"""Classes: join codes, rosters, assignments with files, submissions, grading, grade grids and due-soon reminders."""
