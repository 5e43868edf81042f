"""Game: weekly points reported by desktops and opt-in leaderboards per class and among connections."""
