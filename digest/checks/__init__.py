"""What `digest doctor` looks up outside digest: SPF, DKIM and DMARC in the DNS, and the
one-click unsubscribe endpoint.
May import: nothing from digest.
"""
