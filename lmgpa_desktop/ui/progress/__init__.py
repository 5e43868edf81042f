"""Today and progress.

home_page: today at a glance; progress_page: charts and the panels below; charts: chart builders; game: goals and
gamification panels; celebration: unlock toasts; focus_timer: the focus timer; notifications_page: the centre.
"""
