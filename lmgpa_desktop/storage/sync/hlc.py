"""Hybrid logical clock (HybridClock, parse, too_far_ahead, CLOCK): see storage/hlc.py, where it lives."""

from lmgpa_desktop.storage.hlc import CLOCK, MAX_AHEAD, HybridClock, format_hlc, parse, too_far_ahead

__all__ = ["CLOCK", "MAX_AHEAD", "HybridClock", "format_hlc", "parse", "too_far_ahead"]
