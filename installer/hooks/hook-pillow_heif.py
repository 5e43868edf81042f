"""pillow_heif registers its Pillow plugin from a submodule imported by name."""

hiddenimports = ["pillow_heif.HeifImagePlugin", "pillow_heif.as_plugin"]
