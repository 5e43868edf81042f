"""Small pieces every page uses: running work off the UI thread, job runners."""
