"""Recording and transcripts.

record_page: record, import and browse recordings; transcript_view: a transcript with its player; timeline: the
bookmarks and photos strip under the player.
"""
