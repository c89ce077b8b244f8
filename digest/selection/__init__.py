"""Choosing what goes in an edition: each subscriber's window and topic mix, when each is due,
one story told by several sources, how old a story may be, and its other versions.
May import: nothing from digest.
"""
