"""The student's material.

library_page: sources, filters, rename, class, tags, trash; search_page: search as you type; document_viewer: a
document or image page with its text.
"""
