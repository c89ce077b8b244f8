"""digest.smtp: hand finished message bytes to an SMTP relay over N reused connections.

replies  what each SMTP answer means (Outcome, classify, refusal) and envelope addresses
relay    one reused connection (Relay)
pool     N connections in worker threads, paced (Pool, Pacer, Hooks, Job)
May import: config, errors.
"""

from .pool import Hooks, Job, Pacer, Pool
from .relay import Abort, Relay
from .replies import ABOUT_US, RECORDED, AddressError, Outcome, about_us, classify, refusal, smtp_address

__all__ = ["ABOUT_US", "RECORDED", "Abort", "AddressError", "Hooks", "Job", "Outcome", "Pacer", "Pool", "Relay",
           "about_us", "classify", "refusal", "smtp_address"]
