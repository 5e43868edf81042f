"""Bundled resources: icons, styles, the sample lecture (shipped as lmgpa_desktop.resources)."""
