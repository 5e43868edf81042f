"""Account, classes, groups and the online status of the window."""
