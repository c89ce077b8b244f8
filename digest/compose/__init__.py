"""Building one email: the view of an edition, its templates rendered and inlined once per section,
each subscriber's copy, its DKIM signature, and the lint of what a mail client would trip on.
May import: nothing from digest.
"""
