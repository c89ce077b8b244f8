"""Subscriber lists: checking an address and a subscriber's settings, reading and writing list
files, and the signed tokens in each subscriber's links.
May import: nothing from digest.
"""
