"""Use cases of the app, without Qt: the CLI and the GUI both call these."""
